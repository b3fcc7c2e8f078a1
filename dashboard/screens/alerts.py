"""Alerts: the whole history with filters, the numbers behind each, ack and silence."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from benchwatch import numbers
from benchwatch.dashboard import actions, ui
from benchwatch.dashboard.alert_table import measured_text, split_value
from benchwatch.dashboard.context import Context, current
from benchwatch.storage import views

ANY = ""
FLASH = "alerts_flash"
LIST_COLUMNS = ["state", "severity", "what", "rule", "source", "benchmark_name", "model_set", "axis", "measured",
                "measured_threshold", "unit", "rho", "ci_low", "ci_high", "n", "fired_at", "resolved_at",
                "raised_at", "acked_at", "silenced_until", "delivery", "notified", "message", "details",
                "benchmark", "alert_key"]
HISTORY_COLUMNS = ["state", "data_time", "value", "ci_low", "ci_high", "n", "threshold", "severity",
                   "disposition", "message", "recorded_at", "run_id"]
NUMBER_COLUMNS = {
    "rho": ui.rho_column("rho"), "threshold": ui.rho_column("threshold"), "ci_low": ui.rho_column("CI low"),
    "ci_high": ui.rho_column("CI high"), "fired_at": st.column_config.DateColumn("fired (data time)"),
    "data_time": st.column_config.DateColumn("data time"),
    "alert_key": st.column_config.TextColumn("key"), "benchmark_name": st.column_config.TextColumn("benchmark"),
    "benchmark": st.column_config.TextColumn("column"),
    "measured": st.column_config.TextColumn(
        "measured (threshold) unit", help="What the rule measured against its threshold, in one unit "
        "(rho x100, shares in %); the CSV keeps the raw measured, measured_threshold and unit."),
}


def filters(alerts: pd.DataFrame) -> pd.DataFrame:
    cols = st.columns(4)
    shown = alerts
    for col, (column, label) in zip(cols, (("state", "State"), ("rule", "Rule"), ("source", "Source"),
                                           ("severity", "Severity")), strict=True):
        with col:
            values = sorted(alerts[column].dropna().unique())
            value = ui.pick(label, [ANY, *values], key=f"alert_{column}", default=ANY,
                            format_func=lambda v: v or "any")
        if value:
            shown = shown[shown[column] == value]
    return shown


def details(ctx: Context, shown: pd.DataFrame) -> None:
    st.subheader("One alert")
    names = dict(zip(shown["alert_key"], shown["state"] + ": " + shown["what"], strict=True))
    key = ui.pick("Alert", list(shown["alert_key"]), key="alert", format_func=lambda k: names.get(k, k),
                  help="The alert's key is in the URL and the table's key column.")
    alert = shown[shown["alert_key"] == key].iloc[0]
    cols = st.columns(5)
    cols[0].metric("state", alert["state"])
    if pd.notna(alert["rho"]):
        cols[1].metric("rho at its last change (x100)", numbers.rho(alert["rho"]))
    else:
        cols[1].metric("value at its last change", numbers.number(alert["value"]))
    cols[2].metric("CI (x100)", numbers.rho_interval(alert["ci_low"], alert["ci_high"]))
    cols[3].metric("n", numbers.count(alert["n"]))
    unit = alert["unit"] if isinstance(alert["unit"], str) else ""
    cols[4].metric(f"threshold ({numbers.X100_UNITS.get(unit, unit) or 'value'})",
                   numbers.value_in_unit(alert["measured_threshold"], unit),
                   help=None if numbers.missing(alert["measured"])
                   else f"measured: {numbers.value_in_unit(alert['measured'], unit)}")
    st.text(alert["message"] or "")
    if isinstance(alert.get("benchmark"), str) and isinstance(alert.get("axis"), str):
        st.page_link("screens/benchmark.py", label="Open this benchmark", icon=":material/show_chart:",
                     query_params={"source": alert["source"], "benchmark": alert["benchmark"],
                                   "axis": alert["axis"], "model_set": alert["model_set"]})
    history = ctx.read(views.alert_events, key)
    if pd.notna(alert["rho"]):
        history_config = {**NUMBER_COLUMNS, "value": ui.rho_column("rho")}
    else:  # the threshold of a rule that is not about rho: in the unit of its value
        history_config = {**NUMBER_COLUMNS, "threshold": ui.share_column("threshold") if unit in numbers.SHARE_UNITS
                          else st.column_config.NumberColumn("threshold")}
    ui.table(history[[c for c in HISTORY_COLUMNS if c in history.columns]], "alert history", "alert-history",
             column_config=history_config)
    lifecycle(ctx, alert)


def lifecycle(ctx: Context, alert: pd.Series) -> None:
    st.subheader("Acknowledge or silence")
    key = alert["alert_key"]
    acked, silenced = alert.get("acked_at"), alert.get("silenced_until")
    st.caption("Acknowledged: " + ("no" if pd.isna(acked) else f"{pd.Timestamp(acked):%Y-%m-%d %H:%M} UTC")
               + " · silenced until: " + ("—" if pd.isna(silenced) else f"{pd.Timestamp(silenced):%Y-%m-%d %H:%M} UTC")
               + ". Acknowledging stops reminders of a firing alert; silencing sends nothing until the date. "
               "Both are recorded in the alert's history.")
    left, right = st.columns(2)
    with left:
        if st.button("Acknowledge", key="ack", disabled=alert["state"] != "firing",
                     help="Only a firing alert can be acknowledged."):
            _do(lambda: actions.ack(ctx.settings, key), f"Acknowledged {key}.")
    with right:
        until = st.date_input("Silence until", value=date.today() + timedelta(days=7), key="silence_until",
                              min_value=date.today())
        if st.button("Silence", key="silence"):
            _do(lambda: actions.silence(ctx.settings, key, until), f"Silenced {key} until {until}.")


def _do(action, done: str) -> None:
    try:
        action()
    except actions.ActionFailed as exc:
        st.error("Not done.")
        st.text(str(exc))
        return
    st.session_state[FLASH] = done
    st.rerun()


def render(ctx: Context) -> None:
    st.title("Alerts")
    ctx.require_data()
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    alerts = split_value(ctx.read(views.alerts))
    if alerts.empty:
        st.info("No alert has ever fired.")
        return
    shown = filters(alerts)
    st.caption(f"{len(shown)} of {len(alerts)} alerts ({numbers.RHO_CAPTION}; each value beside its threshold "
               "in one unit). fired_at is the data time (as-of date) at which the "
               "rule fired; raised_at is when Benchwatch recorded it.")
    ui.table(shown[[c for c in LIST_COLUMNS if c in shown.columns]], "alerts", "alerts", height=300,
             column_config=NUMBER_COLUMNS, empty="No alert matches these filters.", display=measured_text)
    if not shown.empty:
        details(ctx, shown)
    ui.attribution_note(sorted(alerts["source"].unique()))


render(current())
