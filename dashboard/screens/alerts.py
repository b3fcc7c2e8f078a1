"""Alerts: the whole history with filters, the numbers behind each, ack and silence."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from benchwatch.dashboard import actions, ui
from benchwatch.dashboard.alert_table import split_value
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
    "rho": ui.percent("rho"), "threshold": ui.percent("threshold"), "ci_low": ui.percent("CI low"),
    "ci_high": ui.percent("CI high"), "fired_at": st.column_config.DateColumn("fired (data time)"),
    "data_time": st.column_config.DateColumn("data time"),
    "alert_key": st.column_config.TextColumn("key"), "benchmark_name": st.column_config.TextColumn("benchmark"),
    "benchmark": st.column_config.TextColumn("column"),
    "measured": st.column_config.NumberColumn("measured", format="%.3f",
                                              help="What the rule measured, in the unit named in 'unit'."),
    "measured_threshold": st.column_config.NumberColumn("threshold", format="%.3f",
                                                        help="The rule's threshold, in the same unit."),
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
        cols[1].metric("rho at its last change", _pct(alert["rho"]))
    else:
        cols[1].metric("value at its last change", "—" if pd.isna(alert["value"]) else f"{alert['value']:g}")
    cols[2].metric("CI", "—" if pd.isna(alert["ci_low"]) else f"{_pct(alert['ci_low'])} … {_pct(alert['ci_high'])}")
    cols[3].metric("n", "—" if pd.isna(alert["n"]) else f"{int(alert['n']):,}")
    cols[4].metric(f"threshold ({alert['unit'] or 'value'})", "—" if pd.isna(alert["measured_threshold"])
                   else f"{alert['measured_threshold']:g}",
                   help=None if pd.isna(alert["measured"]) else f"measured: {alert['measured']:g}")
    st.text(alert["message"] or "")
    if isinstance(alert.get("benchmark"), str) and isinstance(alert.get("axis"), str):
        st.page_link("screens/benchmark.py", label="Open this benchmark", icon=":material/show_chart:",
                     query_params={"source": alert["source"], "benchmark": alert["benchmark"],
                                   "axis": alert["axis"], "model_set": alert["model_set"]})
    history = ctx.read(views.alert_events, key)
    history_config = {**NUMBER_COLUMNS, "value": ui.percent("rho")} if pd.notna(alert["rho"]) else NUMBER_COLUMNS
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


def _pct(value: float) -> str:
    return "—" if pd.isna(value) else f"{100 * value:.1f}"


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
    st.caption(f"{len(shown)} of {len(alerts)} alerts. fired_at is the data time (as-of date) at which the "
               "rule fired; raised_at is when Benchwatch recorded it.")
    ui.table(shown[[c for c in LIST_COLUMNS if c in shown.columns]], "alerts", "alerts", height=300,
             column_config=NUMBER_COLUMNS, empty="No alert matches these filters.")
    if not shown.empty:
        details(ctx, shown)
    ui.attribution_note(sorted(alerts["source"].unique()))


render(current())
