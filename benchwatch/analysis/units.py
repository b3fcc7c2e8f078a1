"""The unit follows the axis: a model group that an axis scores once is one point.

Epoch fits ECI per model *group* (``model_metadata.csv``; the old layout's ``Model name``): the
versions of a group (o3 high and medium, GPT-5.1 none and unknown) share one ECI. Counted as
separate models, one ECI value would enter the rank correlation several times and ``n`` would
count versions, not independent evidence. So against such an axis each group is one point:

- the axis value is the group's (its versions all carry it);
- the group's value of the benchmark is the **mean** of its versions' values, over the versions
  that have one. Not the best score: for a lower-is-safer metric "best" depends on orientation,
  and a group's best configuration is not the group. Not the default setting: Epoch does not say
  which version is the default. The mean uses every version the upstream evaluated, once each,
  whatever the orientation;
- a model with no group is its own point.

Pure: frames in, frames out.
"""

from __future__ import annotations

import pandas as pd

# Axes fitted once per model group (``analysis.cross.EXTERNAL_AXES`` names).
GROUP_AXES = frozenset({"eci"})


def point_ids(models: pd.Index, groups: pd.Series) -> pd.Series:
    """Each model's point: its group's name, or its own id when it has no group."""
    named = groups.reindex(models)
    return pd.Series(named.where(named.notna(), models.to_series(index=models)).astype(str).to_numpy(),
                     index=models)


def group_release(release: pd.Series, groups: pd.Series) -> pd.Series:
    """Each point's release date: a group's is its first version's, over every version with a known
    date (the date the group's capability level first existed; time held fixed compares groups by
    it). Over every version, not only those a benchmark scored, so that a check of one file and the
    stored analysis date a group alike."""
    known = release.dropna()
    return known.groupby(point_ids(known.index, groups).to_numpy()).min()


def one_point_per_group(
    targets: pd.DataFrame, axis: pd.Series, groups: pd.Series
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``targets`` (models x benchmarks) and ``axis`` (model -> value) collapsed to one row per group.

    ``groups`` maps a model to its group's name. Returns the per-point benchmark values (mean over
    the group's versions), the per-point axis value, and the models behind each point
    (comma-separated), all indexed by point: the group's name, or the model's own id when it
    has no group.
    """
    models = targets.index
    point = point_ids(models, groups)
    values = targets.groupby(point, sort=True).mean()
    axis_values = axis.reindex(models).groupby(point, sort=True).mean().reindex(values.index)
    members = models.to_series(index=models).groupby(point, sort=True).agg(lambda s: ", ".join(sorted(s)))
    return values, axis_values, members.reindex(values.index)
