"""``contracts observe``: what runs, read from exported telemetry, against what is written.

Readers turn each export into spans or histogram samples, one record at a time (``spans.py``:
OTLP JSON lines through the OpenTelemetry protobuf definitions, Jaeger and Zipkin JSON through
ijson; ``metrics.py``: Prometheus text exposition and range-query JSON); ``aggregate.py`` joins
client spans with the server spans they caused in a bounded window and keeps per service, per
operation and per edge counts, errors, timeouts, retries and a quantile sketch (``sketch.py``);
``services.py`` names the observed services as the scan does; ``checks.py`` holds the checks that
compare the observations with the contracts and the code.
"""
