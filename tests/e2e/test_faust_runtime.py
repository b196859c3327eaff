"""The Faust worker runtime (`ORDERFLOW_WORKER_RUNTIME=faust`, the fallback of the default
`direct` one) through the same end-to-end tests: the pipeline's expected outcomes, a rolling
restart under load, a SIGKILLed worker under load, and stock that survives restarting every
worker (its tables come back from their changelogs).

The tests are the ones every other module runs on the default runtime, collected here a second
time with a `stack` fixture whose workers run Faust.
"""

import pytest

from orderflow.stack import LocalStack
from tests.e2e import test_faults_workers, test_pipeline, test_recovery, test_rolling_restart
from tests.e2e.conftest import StackFactory

pytestmark = pytest.mark.timeout(480)


@pytest.fixture
def stack(stack_factory: StackFactory) -> LocalStack:
    local = stack_factory(worker_runtime="faust")
    assert local.settings.worker_runtime == "faust"  # what its workers are started with
    return local


test_faust_pipeline = test_pipeline.test_200_orders_reach_their_expected_terminal_state
test_faust_rolling_restart = test_rolling_restart.test_rolling_restart_of_every_worker_under_load
test_faust_sigkill = test_faults_workers.test_sigkill_a_worker_under_load_then_restart_it
test_faust_restart_every_worker = test_recovery.test_stock_survives_restarting_every_worker
