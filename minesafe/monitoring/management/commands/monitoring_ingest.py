"""manage.py monitoring_ingest — the MQTT subscriber worker (minesafe.monitoring.mqtt).

Runs until stopped (SIGTERM/SIGINT: pending readings are stored and acknowledged first), or for
``--seconds``. Options override the MONITORING_MQTT_* settings. Run one worker per client id: two
processes sharing a persistent session would take it from each other.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from minesafe.monitoring.mqtt import IngestWorker, MqttConfig, WorkerStats, topic_filter


class Command(BaseCommand):
    help = "Subscribe to the mines' MQTT reading topics (QoS 1, persistent session) and store the readings."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", help="broker host (MONITORING_MQTT_HOST)")
        parser.add_argument("--port", type=int, help="broker port (MONITORING_MQTT_PORT)")
        parser.add_argument("--client-id", help="fixed client id of the persistent session (MONITORING_MQTT_CLIENT_ID)")
        parser.add_argument("--topic-root", help="topics are <root>/<mine id>/readings (MONITORING_MQTT_TOPIC_ROOT)")
        parser.add_argument("--batch-readings", type=int, help="store when this many readings are pending")
        parser.add_argument("--batch-ms", type=int, help="store when the oldest pending message is this old")
        parser.add_argument("--max-backoff", type=float, help="longest wait between reconnection attempts (s)")
        parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: run until stopped)")
        parser.add_argument("--stats-every", type=float, default=60.0, help="print counters every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        config = MqttConfig.from_settings(
            host=options["host"], port=options["port"], client_id=options["client_id"],
            topic_root=options["topic_root"], batch_readings=options["batch_readings"],
            batch_ms=options["batch_ms"], max_backoff=options["max_backoff"])
        if options["verbosity"] >= 2:
            logging.getLogger("minesafe.monitoring").setLevel(logging.INFO)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self._say(f"ingesting {topic_filter(config.topic_root)} from {config.host}:{config.port} as {config.client_id}")
        stats = IngestWorker(config).run(stop, seconds=options["seconds"], report=self._report,
                                         report_every=options["stats_every"])
        self._report("stopped", stats)

    def _report(self, event: str, stats: WorkerStats) -> None:
        if event == "subscribed":
            self._say("subscribed")
            return
        self._say(f"{event}: messages {stats.messages}, stored {stats.stored}, duplicates {stats.duplicates}, "
                  f"rejected {stats.rejected}, reconnects {stats.reconnects}, database errors {stats.db_errors}")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
