DROP TABLE demo_products;
