"""Maintainer script: refresh the price snapshot (graviton_llm/facts/data/instance_prices.csv)
from AWS Price List offer files. Not part of the package; run it by hand, review the diff, commit.

    curl -o /tmp/use2.json \\
      https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/us-east-2/index.json
    .venv/bin/python scripts/refresh_prices.py /tmp/use2.json            # what would change
    .venv/bin/python scripts/refresh_prices.py /tmp/use2.json --write    # rewrite the snapshot

Only plain On-Demand Linux prices of the catalog's instance types are read
(facts.prices.prices_from_offer_file: Capacity Block SKUs, other systems, unused reservations
and preinstalled software are skipped, two prices for one type and region refused). They replace
the rows for the same type and region; every other row, the Capacity Block rates included, is
kept. docs/sources.md ("Prices") says what to record beside a refresh.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graviton_llm.facts import catalog, prices

SNAPSHOT = (
    Path(__file__).resolve().parents[1] / "graviton_llm" / "facts" / "data" / prices.DATA_FILE
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("offer_files", nargs="+", type=Path, help="AmazonEC2 index.json files")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="the CSV to refresh")
    parser.add_argument("--write", action="store_true", help="rewrite the snapshot")
    args = parser.parse_args(argv)
    current = prices.read_snapshot_text(
        args.snapshot.read_text(encoding="utf-8"), str(args.snapshot)
    )
    fresh: list[prices.RegionalPrice] = []
    for path in args.offer_files:
        offer = json.loads(path.read_text(encoding="utf-8"))
        source = (
            f"AWS Price List bulk API, AmazonEC2 offer {offer.get('version', '?')} ({path.name})"
        )
        fresh += prices.prices_from_offer_file(offer, catalog.INSTANCE_TYPES, source)
    before = {(p.instance_type, p.region, p.purchase_option): p for p in current}
    for price in fresh:
        old = before.get((price.instance_type, price.region, price.purchase_option))
        was = "new" if old is None else f"was ${old.usd_per_hour} ({old.source_date})"
        print(f"{price.instance_type:16} {price.region:15} ${price.usd_per_hour:<10} {was}")
    if not fresh:
        print("no On-Demand price of a catalog type in these offer files", file=sys.stderr)
        return 1
    if args.write:
        args.snapshot.write_text(prices.snapshot_text(prices.refreshed(current, fresh)), "utf-8")
        print(f"wrote {args.snapshot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
