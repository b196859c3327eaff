"""The direct worker runtime (`ORDERFLOW_WORKER_RUNTIME=direct`, stream_processors/direct/)
through the same end-to-end tests as the Faust workers: the pipeline's expected outcomes, a
rolling restart under load, a SIGKILLed worker under load, and stock that survives restarting
every worker (its tables come back from their changelogs).

The tests are the Faust runtime's own, collected here a second time with a `stack` fixture
whose workers run the direct runtime.
"""

import pytest

from orderflow.stack import LocalStack
from tests.e2e import test_faults_workers, test_pipeline, test_recovery, test_rolling_restart
from tests.e2e.conftest import StackFactory

pytestmark = pytest.mark.timeout(480)


@pytest.fixture
def stack(stack_factory: StackFactory) -> LocalStack:
    local = stack_factory(worker_runtime="direct")
    assert local.settings.worker_runtime == "direct"  # what its workers are started with
    return local


test_direct_pipeline = test_pipeline.test_200_orders_reach_their_expected_terminal_state
test_direct_rolling_restart = test_rolling_restart.test_rolling_restart_of_every_worker_under_load
test_direct_sigkill = test_faults_workers.test_sigkill_a_worker_under_load_then_restart_it
test_direct_restart_every_worker = test_recovery.test_stock_survives_restarting_every_worker
