"""The Benchwatch dashboard: a Streamlit app over the published read-only database copy."""
