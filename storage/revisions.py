"""How a run of snapshots becomes observation rows: new keys, revisions, and what they close.

Pure numpy, no I/O: ``storage.observations`` reads the open rows, hands them
here with the incoming snapshots, and writes the result in one transaction.
The chain is walked snapshot by snapshot (each compares with the value open
*then*, which the previous snapshot may have just replaced), but each step is
one vectorized pass over that snapshot's rows, so 131 LMArena snapshots cost
131 array operations rather than 131 round trips through SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

MAX_DECIMALS = 10


def _round(values: np.ndarray, decimals: np.ndarray | int) -> np.ndarray:
    """Round half away from zero at ``decimals`` places, as DuckDB's ``round(DOUBLE, INT)``."""
    scale = np.power(10.0, decimals)
    scaled = values * scale
    whole = np.floor(np.abs(scaled))
    whole += (np.abs(scaled) - whole) >= 0.5
    return np.copysign(whole, scaled) / scale


def published_decimals(values: np.ndarray) -> np.ndarray:
    """Decimal places each value was published with (up to 10).

    The first ``d`` at which rounding changes nothing beyond float noise.
    """
    values = np.asarray(values, dtype=float)
    tolerance = 1e-9 * np.maximum(1.0, np.abs(values))
    decimals = np.full(values.shape, MAX_DECIMALS, dtype=np.int64)
    for d in range(MAX_DECIMALS - 1, -1, -1):  # the smallest d that fits wins
        decimals[np.abs(_round(values, d) - values) <= tolerance] = d
    return decimals


def is_revision(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Whether ``new`` revises ``old``: they differ at the coarser of their two precisions.

    A leaderboard that starts printing more digits (35.12 -> 35.1234) has not
    revised its scores; one that prints 35.13 has.
    """
    old, new = np.asarray(old, dtype=float), np.asarray(new, dtype=float)
    places = np.minimum(published_decimals(old), published_decimals(new))
    return np.abs(_round(old, places) - _round(new, places)) > 1e-9 * np.maximum(1.0, np.abs(old))


@dataclass(frozen=True)
class Chain:
    """What a run of snapshots writes.

    ``rows``: the new observation rows (``part`` is the snapshot's position;
    ``revised_by`` the position of the snapshot that already closed it, or -1;
    ``withdrawn`` whether that close was a withdrawal).
    ``closed``: stored open rows a snapshot closes (``observation_id``,
    ``valid_to``, ``revised_by`` position, ``withdrawn``).
    ``added``/``revised``/``withdrawn``: per snapshot.
    """

    rows: pd.DataFrame
    closed: pd.DataFrame
    added: np.ndarray
    revised: np.ndarray
    withdrawn: np.ndarray


class MassWithdrawal(ValueError):
    """A full snapshot would withdraw more than the allowed share of a source's current values.

    That is a broken payload (a truncated file, an upstream outage page), not news: the
    snapshot is refused and nothing it carries is written. ``part`` is its position in the run.
    """

    def __init__(self, part: int, withdrawn: int, current: int, max_share: float) -> None:
        super().__init__(
            f"the snapshot would withdraw {withdrawn} of the source's {current} current values "
            f"({withdrawn / current:.0%}, more than withdraw_max_share = {max_share:.0%}): "
            "refused as a broken payload, nothing written")
        self.part = part


def chain(open_rows: pd.DataFrame, parts: list[pd.DataFrame], published: list[datetime],
          full: bool = False, max_withdrawn_share: float = 1.0,
          withdraw: list[pd.DataFrame] | None = None) -> Chain:
    """Walk the snapshots in order against the open rows.

    ``open_rows``: observation_id, model, benchmark, value, valid_from of the
    stored rows with no ``valid_to``. ``parts``: each snapshot's rows (model,
    benchmark, value, observed_at). ``published``: each snapshot's
    own date. A revision closes the open row at the latest of the new row's
    date, the snapshot's date and the old row's start, and the new row starts
    there, so validity intervals never overlap or run backwards.

    ``full``: each snapshot is the source's whole state for the benchmarks it
    carries, so a value open for one of those benchmarks that the snapshot no
    longer lists is *withdrawn*: closed at the snapshot's date with no
    successor. Benchmarks a snapshot does not carry (a file that failed, a
    board it does not cover) are left alone. A snapshot that would withdraw
    more than ``max_withdrawn_share`` of the values open before it raises
    ``MassWithdrawal``.

    ``withdraw``: per snapshot, keys (model, benchmark) its upstream explicitly removed; each
    open one the snapshot does not list again is withdrawn, under the same share limit.
    """
    sizes = np.array([len(p) for p in parts], dtype=np.int64)
    incoming = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["model", "benchmark", "value", "observed_at"])
    withdraw = withdraw if withdraw is not None else [pd.DataFrame(columns=["model", "benchmark"])] * len(parts)
    withdraw_sizes = np.array([len(w) for w in withdraw], dtype=np.int64)
    removed = pd.concat([open_rows[["model", "benchmark"]].iloc[:0], *withdraw], ignore_index=True)
    n_open, n_in = len(open_rows), len(incoming)
    models, _ = pd.factorize(pd.concat([open_rows["model"], incoming["model"], removed["model"]],
                                       ignore_index=True))
    benchmarks, names = pd.factorize(pd.concat([open_rows["benchmark"], incoming["benchmark"],
                                                removed["benchmark"]], ignore_index=True))
    keys, _ = pd.factorize(models.astype(np.int64) * max(len(names), 1) + benchmarks)
    n_keys = int(keys.max()) + 1 if len(keys) else 0

    current = np.full(n_keys, np.nan)
    current_from = np.zeros(n_keys, dtype=np.int64)
    stored_id = np.full(n_keys, -1, dtype=np.int64)
    new_index = np.full(n_keys, -1, dtype=np.int64)
    open_keys = keys[:n_open]
    current[open_keys] = open_rows["value"].to_numpy(dtype=float)
    current_from[open_keys] = _micros(open_rows["valid_from"])
    stored_id[open_keys] = open_rows["observation_id"].to_numpy(dtype=np.int64)

    in_keys = keys[n_open:n_open + n_in]
    removed_keys = keys[n_open + n_in:]
    removed_ends = np.cumsum(withdraw_sizes)
    in_values = incoming["value"].to_numpy(dtype=float)
    in_at = _micros(incoming["observed_at"])
    row_pos = np.full(n_in, -1, dtype=np.int64)  # incoming row -> new row, if written
    new_from = np.zeros(n_in, dtype=np.int64)
    new_to = np.full(n_in, -1, dtype=np.int64)
    new_by = np.full(n_in, -1, dtype=np.int64)
    part_of = np.repeat(np.arange(len(parts)), sizes)
    new_withdrawn = np.zeros(n_in, dtype=bool)
    closed_id, closed_to, closed_by, closed_withdrawn = [], [], [], []
    added, revised = np.zeros(len(parts), dtype=np.int64), np.zeros(len(parts), dtype=np.int64)
    withdrawn = np.zeros(len(parts), dtype=np.int64)
    key_benchmark = np.zeros(n_keys, dtype=np.int64)
    key_benchmark[keys] = benchmarks
    published_at = _micros(pd.Series(published, dtype="datetime64[us]"))
    written = 0
    for k, (start, stop) in enumerate(zip(np.cumsum(sizes) - sizes, np.cumsum(sizes), strict=True)):
        # One row per key, the first by data time: of two conflicting rows in
        # one snapshot, the earlier published is the one that was true first.
        order = np.argsort(in_at[start:stop], kind="stable")
        _, first = np.unique(in_keys[start:stop][order], return_index=True)
        rows_k = start + np.sort(order[first])
        key, value, at = in_keys[rows_k], in_values[rows_k], in_at[rows_k]
        held = current[key]
        fresh = np.isnan(held)
        changed = ~fresh & (held != value)
        changed[changed] = is_revision(held[changed], value[changed])
        ends = np.maximum(np.maximum(at, published_at[k]), current_from[key])
        closing = key[changed]
        on_disk = stored_id[closing] >= 0
        closed_id.append(stored_id[closing][on_disk])
        closed_to.append(ends[changed][on_disk])
        closed_by.append(np.full(int(on_disk.sum()), k, dtype=np.int64))
        earlier = new_index[closing][~on_disk]
        new_to[earlier] = ends[changed][~on_disk]
        new_by[earlier] = k

        closed_withdrawn.append(np.zeros(int(on_disk.sum()), dtype=bool))

        gone = _absent(current, key_benchmark, key, k, max_withdrawn_share) if full else np.array(
            [], dtype=np.int64)
        if withdraw_sizes[k]:
            named = np.setdiff1d(removed_keys[removed_ends[k] - withdraw_sizes[k]:removed_ends[k]], key)
            named = np.setdiff1d(named[~np.isnan(current[named])], gone)
            n_now = int((~np.isnan(current)).sum())
            if len(named) > max_withdrawn_share * n_now:
                raise MassWithdrawal(k, len(named), n_now, max_withdrawn_share)
            gone = np.concatenate([gone, named])
        if len(gone):
            ends_gone = np.maximum(published_at[k], current_from[gone])
            stored = stored_id[gone] >= 0
            closed_id.append(stored_id[gone][stored])
            closed_to.append(ends_gone[stored])
            closed_by.append(np.full(int(stored.sum()), k, dtype=np.int64))
            closed_withdrawn.append(np.ones(int(stored.sum()), dtype=bool))
            earlier = new_index[gone][~stored]
            new_to[earlier] = ends_gone[~stored]
            new_by[earlier] = k
            new_withdrawn[earlier] = True
            current[gone] = np.nan
            stored_id[gone] = -1
        withdrawn[k] = len(gone)

        write = fresh | changed
        positions = np.arange(written, written + int(write.sum()))
        rows = rows_k[write]
        row_pos[rows] = positions
        starts = np.where(changed, ends, at)[write]
        new_from[positions] = starts
        written_keys = key[write]
        current[written_keys] = value[write]
        current_from[written_keys] = starts
        stored_id[written_keys] = -1
        new_index[written_keys] = positions
        written += len(positions)
        added[k], revised[k] = int(fresh.sum()), int(changed.sum())

    source_rows = np.flatnonzero(row_pos >= 0)
    to = new_to[:written]
    rows = pd.DataFrame({
        "model": incoming["model"].to_numpy()[source_rows],
        "benchmark": incoming["benchmark"].to_numpy()[source_rows],
        "value": in_values[source_rows],
        "valid_from": new_from[:written].astype("datetime64[us]"),
        "valid_to": pd.Series(to.astype("datetime64[us]")).where(to >= 0),
        "part": part_of[source_rows],
        "revised_by": new_by[:written],
        "withdrawn": new_withdrawn[:written],
    })
    closed = pd.DataFrame({
        "observation_id": np.concatenate(closed_id) if closed_id else np.array([], dtype=np.int64),
        "valid_to": (np.concatenate(closed_to) if closed_to else np.array([], dtype=np.int64)
                     ).astype("datetime64[us]"),
        "revised_by": np.concatenate(closed_by) if closed_by else np.array([], dtype=np.int64),
        "withdrawn": np.concatenate(closed_withdrawn) if closed_withdrawn else np.array([], dtype=bool),
    })
    return Chain(rows, closed, added, revised, withdrawn)


def _absent(current: np.ndarray, key_benchmark: np.ndarray, listed: np.ndarray, part: int,
            max_share: float) -> np.ndarray:
    """Keys open now, of a benchmark the snapshot carries, that it does not list: the withdrawn.

    Refuses (``MassWithdrawal``) a snapshot that would withdraw more than ``max_share`` of the
    values open before it.
    """
    open_now = ~np.isnan(current)
    covered = np.isin(key_benchmark, np.unique(key_benchmark[listed]))
    gone_mask = open_now & covered
    gone_mask[listed] = False
    gone = np.flatnonzero(gone_mask)
    n_open = int(open_now.sum())
    if n_open and len(gone) > max_share * n_open:
        raise MassWithdrawal(part, len(gone), n_open, max_share)
    return gone


def _micros(stamps: pd.Series) -> np.ndarray:
    """Timestamps as integer microseconds, the resolution of every TIMESTAMP column."""
    return pd.to_datetime(stamps).to_numpy().astype("datetime64[us]").astype(np.int64)
