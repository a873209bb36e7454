"""The Hotwash console: Streamlit pages for controllers, players, evaluators, commanders and designers.

Pages call the exercise service (``exercises.service``) and nothing below it; every write is
checked there again, whatever the page showed. The only package that imports Streamlit.
"""
