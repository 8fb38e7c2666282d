"""Process discovery on the variant table, the quality of the model found, and process maps.

Every algorithm sees each distinct trace once, with its number of cases; nothing
runs per case. The numbers are those pm4py gives on the full log:

- inductive miner (IM, IMf with ``noise``): pm4py itself reduces a log to the
  same counted variants before mining; we hand it that table directly.
- heuristics and alpha miners: pm4py mines from counts (directly-follows,
  window-2 and triple counts, start and end activities); we compute them once
  per variant, times its count.
- token replay (fitness, generalization), ETConformance precision and
  alignments: replay each variant once and weight its result by its count,
  the sums pm4py forms over cases.

>>> from procmine.read import read_log
>>> found = discover_model(read_log("logs/sample.csv"), noise=0.2)
>>> round(found.quality.fitness, 3)
0.994
"""

from procmine.discover.maps import METRICS, GroupBy, Metric, ProcessMap, discover_map
from procmine.discover.models import (
    ALGORITHMS,
    MODEL_SUFFIXES,
    Algorithm,
    Discovery,
    Model,
    discover_model,
    save_model,
    to_bpmn,
)
from procmine.discover.quality import Method, Quality, measure_quality
from procmine.discover.traces import trace_counts
from procmine.discover.variants import VariantSummary, variant_summary

__all__ = ["ALGORITHMS", "METRICS", "MODEL_SUFFIXES", "Algorithm", "Discovery", "GroupBy",
           "Method", "Metric", "Model", "ProcessMap", "Quality", "VariantSummary",
           "discover_map", "discover_model", "measure_quality", "save_model", "to_bpmn",
           "trace_counts", "variant_summary"]
