"""Loading the reference data intake needs, once at start: product catalogue and MedDRA."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import IntakeReferences
from gateway.domain.meddra import MedDRACoder, MedDRALoadError, load_distribution
from gateway.errors import ConfigurationError
from gateway.logs import get_logger
from gateway.settings import Settings

log = get_logger(__name__)


def _looks_like_openfda(records: list[Any]) -> bool:
    return bool(records) and isinstance(records[0], dict) and "openfda" in records[0]


def load_catalogue(path: Path) -> ProductCatalogue:
    """A JSON catalogue: a list of product records, ``{"products": [...]}``, or an openFDA
    'harmonized' export (a list or ``{"results": [...]}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigurationError(
            "ICSR_CATALOGUE_FILE", f"{path} cannot be read as JSON: {exc}"
        ) from None
    records = data.get("products", data.get("results")) if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise ConfigurationError(
            "ICSR_CATALOGUE_FILE",
            f"{path}: expected a list of products or an object with 'products' or 'results'",
        )
    try:
        if _looks_like_openfda(records):
            return ProductCatalogue.from_openfda_harmonized(records)
        return ProductCatalogue.from_records(records)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise ConfigurationError("ICSR_CATALOGUE_FILE", f"{path}: {exc}") from None


def load_references(settings: Settings) -> IntakeReferences:
    if settings.catalogue_file is not None:
        catalogue = load_catalogue(settings.catalogue_file)
    else:
        catalogue = ProductCatalogue(())
        log.warning(
            "no product catalogue configured (ICSR_CATALOGUE_FILE): suspect products "
            "in free-text reports cannot be recognised"
        )
    coder = None
    if settings.meddra_dir is not None:
        try:
            dictionary = load_distribution(settings.meddra_dir)
        except MedDRALoadError as exc:
            raise ConfigurationError("ICSR_MEDDRA_DIR", str(exc)) from None
        coder = MedDRACoder(dictionary)
        log.info("MedDRA loaded", version=dictionary.version, language=dictionary.language)
    else:
        log.warning(
            "no MedDRA distribution configured (ICSR_MEDDRA_DIR): reactions stay "
            "verbatim and are flagged for coding"
        )
    return IntakeReferences(catalogue=catalogue, coder=coder)
