"""All of orderflow's settings: one typed object, read from ORDERFLOW_* environment variables.

Built once at startup (`Settings()`) and passed down; nothing else reads the environment.
"""

from decimal import Decimal
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orders.domain.validation import Limits
from orders.event_loop import EventLoopName


def min_isr_for(replication_factor: int) -> int:
    """Copies a write needs by default: all but one from three copies up (one broker may be
    lost without refusing writes or losing an acknowledged one); with fewer copies, one."""
    return replication_factor - 1 if replication_factor >= 3 else 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_", extra="ignore", frozen=True)

    # Servers
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"

    # The local stack (`orderflow dev`, `demo`): the ports its Kafka and Redis take when free,
    # and the directory of its lock and address file ('': .cache in the checkout).
    dev_kafka_port: int = Field(9092, ge=1, le=65535)
    dev_redis_port: int = Field(6379, ge=1, le=65535)
    dev_state_dir: str = ""

    # Topic contract
    topic_prefix: str = Field("orderflow", pattern=r"^[A-Za-z0-9._-]+$")
    order_events_partitions: int = Field(6, ge=1)
    stock_partitions: int = Field(6, ge=1)
    dead_letters_partitions: int = Field(6, ge=1)
    # Copies of every record: the contract's topics and the workers' changelogs. `orderflow dev
    # --brokers N` sets min(3, N) unless given; a deployment sets it to its cluster's.
    replication_factor: int = Field(1, ge=1)
    # Copies a write needs before it is acknowledged (acks=all); 0: follow replication_factor
    # (RF - 1 from three copies up, else 1). See `min_isr`.
    min_insync_replicas: int = Field(0, ge=0)

    # Status table
    redis_namespace: str = Field("orderflow", pattern=r"^[A-Za-z0-9._-]+$")
    # About how many change feed notes the change log ({ns}:changes:log) keeps for GET /events
    # clients that resume with Last-Event-ID (a Redis stream trimmed with MAXLEN ~).
    change_log_max_len: int = Field(10_000, ge=1, le=10_000_000)
    # Rebuilds from the event log (orderflow replay)
    replay_batch: int = Field(2000, ge=1, le=100_000)  # events per Kafka read and Redis pipeline
    replay_freeze_s: float = Field(15.0, gt=0)  # longest pause of live writes during a switch
    replay_grace_s: float = Field(1.0, ge=0)  # wait after a switch before dropping the old table

    # Front door
    producer_host: str = "127.0.0.1"
    producer_port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    publish_timeout_s: float = Field(5.0, gt=0)
    retry_after_s: int = Field(3, ge=1)
    status_api_public_url: str = "http://127.0.0.1:8081"
    # The longest the front door waits for Redis to record a new order PENDING before its 202
    # (past it the order is answered anyway: the projection records it).
    record_pending_timeout_s: float = Field(1.0, gt=0)

    # Idempotency (front door)
    idempotency_ttl_s: int = Field(86400, ge=1)  # how long an Idempotency-Key is remembered
    # How long one request may hold a key while it publishes; after that another takes over.
    idempotency_lease_s: float = Field(10.0, gt=0)

    # Both HTTP services
    access_log: bool = False  # one log line per request: costly under load, off by default

    # Authentication, both HTTP services (README, "Security"). "none": nobody is asked who they
    # are (development; each service warns at start). "jwt": Bearer tokens, verified with
    # exactly one of the three key settings below.
    auth_mode: Literal["none", "jwt"] = "none"
    auth_hs256_secret: SecretStr | None = None  # HS256 shared secret, at least 32 characters
    auth_public_key_file: str = ""  # a PEM public key: RSA (RS256) or P-256 (ES256)
    auth_jwks_file: str = ""  # a JWKS file of RSA/EC public keys, chosen by the token's kid
    auth_issuer: str = ""  # when set, tokens must carry this `iss`
    auth_audience: str = ""  # when set, tokens must carry this `aud`
    auth_leeway_s: float = Field(30.0, ge=0, le=300)  # clock skew allowed on exp/nbf/iat
    # A token is a staff token when this claim (a space-separated string or a list) holds
    # this value; any other valid token is the customer named by its `sub`.
    auth_staff_claim: str = Field("scope", min_length=1)
    auth_staff_value: str = Field("orderflow:staff", min_length=1)
    # GET /metrics: open when unset, else it takes `Authorization: Bearer <this token>`.
    auth_metrics_token: SecretStr | None = None

    # Status API
    status_api_host: str = "127.0.0.1"
    status_api_port: int = Field(8081, ge=0, le=65535)
    # A table name: serve that table (built by `replay --into NAME`) instead of the live one.
    status_api_table: str = Field("", pattern=r"^[A-Za-z0-9._-]*$")
    # Event streams (GET /orders/{id}/events, /events) send a comment this often when idle.
    status_api_heartbeat_s: float = Field(15.0, gt=0)
    # How often the dashboard samples Kafka (the group, its offsets, the dead letters).
    status_api_dashboard_interval_s: float = Field(2.0, gt=0)

    # Stream processors (Faust workers)
    event_loop: EventLoopName = "uvloop"  # the services' asyncio loop: uvloop or asyncio
    # How workers consume: "direct" (our own loop on aiokafka, stream_processors/direct) or
    # "faust" (faust-streaming agents). Same stages, topics, tables and changelogs.
    worker_runtime: Literal["direct", "faust"] = "direct"
    worker_group: str = "orderflow-workers"
    worker_web_host: str = "127.0.0.1"
    worker_web_port: int = Field(6066, ge=0, le=65535)
    worker_data_dir: str = ".cache/faust"
    worker_session_timeout_s: float = Field(10.0, gt=0)
    worker_heartbeat_s: float = Field(2.0, gt=0)
    worker_commit_interval_s: float = Field(1.0, gt=0)
    worker_metrics_port: int = Field(0, ge=0, le=65535)  # Prometheus /metrics; 0 = off
    worker_shutdown_grace_s: float = Field(25.0, gt=0)  # SIGTERM to exit, at most
    worker_max_in_flight: int = Field(1000, ge=1)  # records per agent taken and not yet done
    worker_fetch_min_bytes: int = Field(4096, ge=1)  # a fetch waits for this much data...
    worker_fetch_max_wait_ms: int = Field(5, ge=0)  # ...or this long, whichever comes first
    worker_fetch_idle_wait_ms: int = Field(500, ge=0)  # after an empty fetch: 1 byte or this
    worker_producer_linger_ms: float = Field(1.0, ge=0)  # a worker batches its sends this long
    dlq_max_attempts: int = Field(3, ge=1)  # tries of a failing handler before dead-lettering

    # Deadlines: orders stuck in a stage longer than this are cancelled (with compensation)
    order_deadline_s: float = Field(300.0, gt=0)
    deadline_check_interval_s: float = Field(10.0, gt=0)
    deadline_batch: int = Field(500, ge=1)

    # Business limits (validation stage)
    max_lines: int = Field(50, ge=1)
    max_line_quantity: int = Field(100, ge=1)
    max_order_total: Decimal = Field(Decimal("10000"), gt=0)

    # Simulated payment gateway
    payment_latency_ms: int = Field(5, ge=0)
    payment_timeout_s: float = Field(0.5, gt=0)
    payment_attempts: int = Field(3, ge=1)
    # Fault injection, off by default: the simulated gateway answers every charge with an
    # unexpected error (GatewayMalfunction), so the payment stage dead-letters StockReserved.
    # For trying dead-letter redrive (README, "Dead letters, redrive and reprocessing").
    fault_injection_gateway_malfunction: bool = False

    @model_validator(mode="after")
    def _lease_outlasts_a_publish(self) -> Self:
        # The publisher gives up after publish_timeout_s plus a 1 s safety net; a shorter lease
        # would let a second request take the key over while the first is still publishing.
        if self.idempotency_lease_s <= self.publish_timeout_s + 1:
            raise ValueError("idempotency_lease_s must exceed publish_timeout_s + 1")
        if self.idempotency_ttl_s <= self.idempotency_lease_s:
            raise ValueError("idempotency_ttl_s must exceed idempotency_lease_s")
        return self

    @model_validator(mode="after")
    def _one_key_for_jwt(self) -> Self:
        keys = [self.auth_hs256_secret is not None, bool(self.auth_public_key_file),
                bool(self.auth_jwks_file)]  # fmt: skip
        if self.auth_mode == "jwt" and sum(keys) != 1:
            raise ValueError(
                "auth_mode=jwt needs exactly one of auth_hs256_secret, auth_public_key_file, "
                "auth_jwks_file"
            )
        secret = self.auth_hs256_secret
        if secret is not None and len(secret.get_secret_value()) < 32:
            raise ValueError("auth_hs256_secret must be at least 32 characters")
        token = self.auth_metrics_token
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("auth_metrics_token must be at least 16 characters")
        return self

    @model_validator(mode="after")
    def _min_isr_within_replicas(self) -> Self:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError("min_insync_replicas cannot exceed replication_factor")
        return self

    @property
    def min_isr(self) -> int:
        """min.insync.replicas of the topics orderflow creates."""
        return self.min_insync_replicas or min_isr_for(self.replication_factor)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_lines=self.max_lines,
            max_line_quantity=self.max_line_quantity,
            max_order_total=self.max_order_total,
        )
