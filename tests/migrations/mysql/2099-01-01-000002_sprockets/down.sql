DROP TABLE gears;
DROP TABLE sprockets;
