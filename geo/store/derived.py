"""Derived store columns: what the database computes from a canonical row when it arrives.

Arrays for the ';'-joined fields, the origin group, the map kind, and the arrays the
certainty filters test (README "Certainty"). One SELECT list for both stores: the dialects
differ only in the array templates of :class:`ArraySql`.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.schema import POINT_PRECISIONS
from geo.taxonomy import FAMILIES

# Share at or above which a candidate is "likely" (certainty=likely). Shares are written in
# hundredths, so half a hundredth below 0.5 absorbs float error in sums of shares.
LIKELY_SHARE = 0.5
_LIKELY_SQL = LIKELY_SHARE - 0.005


@dataclass(frozen=True)
class ArraySql:
    """Dialect templates derived_sql builds the array columns from.

    ``split``: a ';'-separated text ``{col}`` as an array; ``empty``: an empty array;
    ``pick``: the values of the ``value:share`` items of ``{col}`` satisfying ``{cond}``;
    ``total``: the sum of the shares of those items (NULL when none); ``compact``: an array
    literal of ``{items}`` without its NULLs. In ``{cond}``, ``x`` is one ``value:share`` item.
    """

    split: str
    empty: str
    pick: str
    total: str
    compact: str


DUCKDB_ARRAYS = ArraySql(
    split="string_split({col}, ';')",
    empty="[]::VARCHAR[]",
    pick="list_transform(list_filter(string_split({col}, ';'), lambda x: {cond}), "
         "lambda x: split_part(x, ':', 1))",
    total="list_sum(list_transform(list_filter(string_split({col}, ';'), lambda x: {cond}), "
          "lambda x: CAST(split_part(x, ':', 2) AS DOUBLE PRECISION)))",
    compact="list_filter([{items}], lambda x: x IS NOT NULL)",
)
POSTGRES_ARRAYS = ArraySql(
    split="string_to_array({col}, ';')",
    empty="ARRAY[]::text[]",
    pick="ARRAY(SELECT split_part(x, ':', 1) FROM unnest(string_to_array({col}, ';')) "
         "WITH ORDINALITY AS t(x, n) WHERE {cond} ORDER BY n)",
    total="(SELECT sum(CAST(split_part(x, ':', 2) AS DOUBLE PRECISION)) "
          "FROM unnest(string_to_array({col}, ';')) AS t(x) WHERE {cond})",
    compact="array_remove(ARRAY[{items}]::text[], NULL)",
)

# Derived store columns, in the order derived_sql writes them.
DERIVED_COLUMNS = (
    "origins", "classes", "models", "admin1s", "origin_group", "map_kind",
    "suppliers", "cand_classes", "cand_origins", "cand_suppliers",
    "likely_classes", "likely_origins", "likely_suppliers", "likely_families",
)


def derived_sql(dialect: ArraySql) -> str:
    """SELECT list deriving store columns from a staging table of canonical text columns.

    The map kind is decided here, once: only exact/settlement/district events with
    coordinates are points; oblast-level ones are shaded areas; the rest appear on the
    timeline only. Candidates (``value:share;…``, validated by geo.schema) give three kinds of
    arrays the certainty filters test: ``cand_*`` every candidate value, ``likely_*`` those
    with share ≥ 0.5, ``likely_families`` the class families whose shares sum to ≥ 0.5.
    """
    def arr(col: str) -> str:
        return f"CASE WHEN {col} = '' THEN {dialect.empty} ELSE {dialect.split.format(col=col)} END"

    def pick(col: str, cond: str = "true") -> str:
        return (f"CASE WHEN {col} = '' THEN {dialect.empty} "
                f"ELSE {dialect.pick.format(col=col, cond=cond)} END")

    likely = f"CAST(split_part(x, ':', 2) AS DOUBLE PRECISION) >= {_LIKELY_SQL}"
    families = []
    for family, members in FAMILIES.items():
        listed = ", ".join(f"'{m}'" for m in members)
        share = dialect.total.format(col="class_candidates",
                                     cond=f"split_part(x, ':', 1) IN ({listed})")
        families.append(f"CASE WHEN class_candidates <> '' AND coalesce({share}, 0) "
                        f">= {_LIKELY_SQL} THEN '{family}' END")
    points = ", ".join(f"'{p}'" for p in POINT_PRECISIONS)
    return (
        f"{arr('weapon_origin')} AS origins, {arr('weapon_class')} AS classes, "
        f"{arr('weapon_model')} AS models, {arr('admin1')} AS admin1s, "
        "CASE WHEN weapon_origin = '' THEN 'unknown' ELSE weapon_origin END AS origin_group, "
        f"CASE WHEN latitude IS NOT NULL AND geo_precision IN ({points}) THEN 'point' "
        "WHEN admin1 <> '' THEN 'area' ELSE 'none' END AS map_kind, "
        f"{arr('weapon_supplier')} AS suppliers, "
        f"{pick('class_candidates')} AS cand_classes, "
        f"{pick('origin_candidates')} AS cand_origins, "
        f"{pick('supplier_candidates')} AS cand_suppliers, "
        f"{pick('class_candidates', likely)} AS likely_classes, "
        f"{pick('origin_candidates', likely)} AS likely_origins, "
        f"{pick('supplier_candidates', likely)} AS likely_suppliers, "
        f"{dialect.compact.format(items=', '.join(families))} AS likely_families"
    )
