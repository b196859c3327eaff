"""The direct worker runtime: the same stages and pipeline as the Faust workers, fed by a
consuming loop of our own on plain aiokafka (README, "Worker runtimes").

- progress.py: which offset each partition may commit (pure);
- tables.py: the stages' tables, kept in memory per partition and backed by the same
  compacted changelog topics the Faust workers use;
- kafka_io.py: the outbox and dead-letter sink over one aiokafka producer;
- runtime.py: the consuming loop, commits and rebalances;
- main.py: the worker process (signals, grace period, metrics).
"""
