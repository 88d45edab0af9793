"""manage.py simulate [--mines N | --county CODE] [--via mqtt|http|direct] [--rate R] [--seconds S | --live]
[--event KIND@MINE:SECOND[+DURATION] ...] [--seed N]

Streams simulated readings of the demo mines' sensors in (near) real time (``minesafe.monitoring.live``):

- ``--via mqtt`` publishes one JSON array per mine and tick with QoS 1 to ``<root>/<mine id>/readings``
  (what ``manage.py monitoring_ingest`` subscribes to);
- ``--via http`` posts NDJSON to ``/monitoring/ingest/readings/`` of ``--url`` with a gateway token per
  mine, created for the run and revoked at its end;
- ``--via direct`` stores in this process (``ingest.store``): no broker, no web server needed.

``--rate`` is the total readings per second: each sensor reads every ceil(sensors / rate) seconds
(``--step`` sets that period instead). ``--live`` runs until interrupted (Ctrl-C or SIGTERM);
otherwise for ``--seconds``. Events: a simulator event kind at a mine (its id), SECOND seconds after
the start, e.g. ``--event gas_exceedance@17:60+900`` or ``--event falsify_missing_cut@17:120``.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minesafe.monitoring import demo, live
from minesafe.monitoring import simulator as sim
from minesafe.monitoring.models import Sensor
from minesafe.registry.models import Mine


class Command(BaseCommand):
    help = "Stream simulated monitoring readings of the demo mines over MQTT, HTTP or straight into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--mines", type=int, help="the first N mines with active sensors (default: all)")
        which.add_argument("--county", help="the mines of a division (county, city or province code prefix)")
        parser.add_argument("--via", choices=("mqtt", "http", "direct"), default="mqtt",
                            help="how the readings travel (default mqtt)")
        parser.add_argument("--rate", type=float, default=200.0, help="readings per second in all (default 200)")
        parser.add_argument("--step", type=int, help="seconds between two readings of a sensor (overrides --rate)")
        duration = parser.add_mutually_exclusive_group()
        duration.add_argument("--seconds", type=float, default=60.0, help="run this long (default 60)")
        duration.add_argument("--live", action="store_true", help="run until interrupted")
        parser.add_argument("--event", action="append", default=[], metavar="KIND@MINE:SECOND[+DURATION]",
                            help=f"inject an event; KIND one of {', '.join(sim.EVENT_KINDS)}")
        parser.add_argument("--seed", type=int, default=0, help="random seed of the streams (default 0)")
        parser.add_argument("--tick", type=float, default=1.0, help="seconds between two sends (default 1)")
        parser.add_argument("--host", help="MQTT broker host (MONITORING_MQTT_HOST)")
        parser.add_argument("--port", type=int, help="MQTT broker port (MONITORING_MQTT_PORT)")
        parser.add_argument("--topic-root", help="MQTT topic root (MONITORING_MQTT_TOPIC_ROOT)")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the platform's base URL for --via http")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            events = [live.parse_event(text) for text in options["event"]]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["rate"] <= 0 or (options["step"] is not None and options["step"] < 1):
            raise CommandError("--rate must be positive and --step at least 1")
        mines = Mine.objects.exclude(status="closed").filter(
            pk__in=Sensor.objects.filter(active=True).values("mine_id")).order_by("pk")
        if options["county"]:
            mines = mines.filter(county__code__startswith=options["county"])
        if options["mines"] is not None:
            if options["mines"] < 1:
                raise CommandError("--mines must be at least 1")
            mines = mines[:options["mines"]]
        plans = demo.plans_for(mines)
        if not plans:
            raise CommandError("no mine with active sensors matches (run `manage.py demo_monitoring` first)")
        sensors = sum(len(p.sensor_ids) for p in plans)
        step = options["step"] or live.step_for_rate(sensors, options["rate"])
        try:
            feed = live.LiveFeed(plans, step, seed=options["seed"], events=events)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        via = options["via"]
        run_name = ""
        if via == "mqtt":
            from minesafe.monitoring.mqtt import MqttConfig

            config = MqttConfig.from_settings(host=options["host"], port=options["port"],
                                              topic_root=options["topic_root"])
            try:
                sink: live.Sink = live.MqttSink(config.host, config.port, config.topic_root,
                                                username=config.username, password=config.password, tls=config.tls,
                                                ca_file=config.ca_file)
            except (OSError, ConnectionError) as exc:
                raise CommandError(f"cannot reach the MQTT broker at {config.host}:{config.port}: {exc}") from None
            where = f"MQTT {config.host}:{config.port} {config.topic_root}/<mine>/readings"
        elif via == "http":
            run_name = f"simulate {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
            tokens = demo.create_run_gateways([p.mine_id for p in plans], run_name)
            sink = live.HttpSink(tokens, options["url"])
            where = f"{options['url'].rstrip('/')}{live.HttpSink.PATH} ({len(tokens)} gateways for this run)"
        else:
            sink = live.DirectSink()
            where = "the database (in-process)"

        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self._say(f"simulating {len(plans)} mines, {sensors} sensors, a reading every {step} s per sensor "
                  f"(~{feed.rate:,.0f} readings/s) into {where}" + (", until interrupted" if options["live"] else
                                                                    f", for {options['seconds']:g} s"))
        try:
            stats = feed.run(sink, seconds=None if options["live"] else options["seconds"], stop=stop,
                             tick=options["tick"], report=self._report, report_every=60.0)
        finally:
            if run_name:
                demo.revoke_run_gateways(run_name)
        for error in stats.errors[:5]:
            self.stderr.write(error)
        self._say(self._summary(via, stats, final=True))

    @staticmethod
    def _summary(via: str, stats: live.FeedStats, final: bool = False) -> str:
        done = "acknowledged by the broker" if via == "mqtt" else "stored"
        return (f"{'sent' if final else 'so far'} {stats.sent:,} readings in {stats.messages:,} "
                f"{'messages' if via == 'mqtt' else 'requests' if via == 'http' else 'transactions'}: "
                f"{stats.stored:,} {done}, {stats.duplicates:,} duplicates, {stats.rejected:,} rejected, "
                f"{stats.failed:,} not delivered; "
                f"at most {stats.behind:.1f} s behind")

    def _report(self, stats: live.FeedStats) -> None:
        self._say(self._summary("", stats))

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
