-- The wooerp ledger lives next to Temporal's databases on the same server.
CREATE ROLE wooerp LOGIN;
CREATE DATABASE wooerp OWNER wooerp;
