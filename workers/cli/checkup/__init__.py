"""`wooerp doctor`: what a deployment needs from the store, the ERP and
Temporal, checked one fact at a time, each problem with its fix."""
