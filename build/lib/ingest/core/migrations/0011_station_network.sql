-- County stations (县(市、区)空气自动监测站) arrive by their own feed beside the national-control
-- stations: the reference list says which network each station belongs to. National-control
-- stations make the city figures (HJ 663 city scale); every station assigned to a county makes
-- that county's figures.
alter table raw.ref_station add column if not exists network text not null default 'national';
comment on column raw.ref_station.network is '站点网络: national (国控, city figures) or county (县控, county figures)';
