-- The feed's network is written by the loader on every station record (issue 13): staging no
-- longer names the county feed's batch source. Rows loaded before this migration get it from
-- their batch's feed, once.
alter table raw.station_hour_publication add column if not exists network text;
update raw.station_hour_publication r set network = case
        when b.source = 'county_station_hourly' then 'county' else 'national' end
    from audit.load_batch b
    where r.network is null and b.batch_id = r.batch_id;
alter table raw.station_hour_publication alter column network set default 'national';
alter table raw.station_hour_publication alter column network set not null;
comment on column raw.station_hour_publication.network is '站点网络: national (国控, the national feed) or county (县控, the county feed), written by the loader from the feed';
