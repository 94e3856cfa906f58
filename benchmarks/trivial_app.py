"""The baseline of benchmarks/first_chart.py: a one-chart Streamlit app, nothing else."""
import altair as alt
import pandas as pd
import streamlit as st

frame = pd.DataFrame({"x": list(range(10)), "y": [v * v for v in range(10)]})
st.altair_chart(alt.Chart(frame).mark_bar().encode(x="x:O", y="y:Q"), width="stretch")
