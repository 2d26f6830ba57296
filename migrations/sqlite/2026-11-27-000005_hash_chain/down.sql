DROP TABLE log_chain;
DROP TABLE log_chain_heads;
