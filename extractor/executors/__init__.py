"""Where a scan's per-file extraction runs, besides this machine's processes: a shard of a CI
matrix and the merge of the shards' partial results (``shard``), and a Dask cluster
(``dask_cluster``). Each is an ``extractor.scan.Executor``; the scan's result never depends on
which one ran it (docs/scale.md)."""
