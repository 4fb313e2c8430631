"""Declared contracts: the ``contracts/*.yaml`` files services write about themselves.

``values`` parses the value mini-language, ``model`` holds the typed declarations and ``load``
reads them from a repository. Checks comparing declarations with each other or with facts
extracted from code build on this package.
"""

from .load import ContractError, LoadedContracts, load_contract_file, load_contract_text, load_contracts
from .model import (
    DataDependency,
    Decision,
    Dependency,
    LatencyBudget,
    Location,
    OnTimeout,
    Operation,
    Provided,
    ProvidedDataset,
    ProvidedEndpoint,
    ProvidedLatency,
    ProvidedOperation,
    Requirement,
    RetryPolicy,
    ServiceContract,
)
from .values import Backoff, Bound, ContractValueError, Duration, DurationRange, Percentile, Percentiles

__all__ = [
    "Backoff",
    "Bound",
    "ContractError",
    "ContractValueError",
    "DataDependency",
    "Decision",
    "Dependency",
    "Duration",
    "DurationRange",
    "LatencyBudget",
    "LoadedContracts",
    "Location",
    "OnTimeout",
    "Operation",
    "Percentile",
    "Percentiles",
    "Provided",
    "ProvidedDataset",
    "ProvidedEndpoint",
    "ProvidedLatency",
    "ProvidedOperation",
    "Requirement",
    "RetryPolicy",
    "ServiceContract",
    "load_contract_file",
    "load_contract_text",
    "load_contracts",
]
