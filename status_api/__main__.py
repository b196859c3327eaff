"""`python -m status_api`: run the status API with settings from ORDERFLOW_* variables."""

from orders.settings import Settings
from status_api.app import serve

if __name__ == "__main__":
    serve(Settings())
