"""The Streamlit edge: page chrome, shared state, caching. Only pages and ui/ import streamlit."""
