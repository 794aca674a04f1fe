-- Reference data from configuration (config/city_profile.yaml): cities, peer groups, annual
-- targets, exceptional events. Each load replaces the whole set (configuration, not history);
-- the loading batch is recorded in audit.load_batch like any other file.
create table if not exists raw.ref_city (
    batch_id bigint not null references audit.load_batch (batch_id),
    city text primary key,
    province text,
    is_home_city boolean not null default false
);
create table if not exists raw.ref_station (
    batch_id bigint not null references audit.load_batch (batch_id),
    station_code text primary key,
    station_name text,
    city text not null,
    county text
);
create table if not exists raw.ref_peer_group (
    batch_id bigint not null references audit.load_batch (batch_id),
    group_id text not null,
    group_name text not null,
    city text not null,
    source text not null,
    list_year integer,
    primary key (group_id, city)
);
create table if not exists raw.ref_annual_target (
    batch_id bigint not null references audit.load_batch (batch_id),
    city text not null,
    target_year integer not null,
    indicator text not null,           -- pm2_5_annual_mean, pm10_annual_mean, good_days, heavy_pollution_days
    target_value numeric not null,
    direction text not null check (direction in ('at_most', 'at_least')),
    source text not null,
    primary key (city, target_year, indicator)
);
create table if not exists raw.ref_exceptional_event (
    batch_id bigint not null references audit.load_batch (batch_id),
    city text not null,
    event_date date not null,
    event_type text not null,
    source text not null,
    primary key (city, event_date, event_type)
);
comment on table raw.ref_annual_target is '年度目标: annual targets per city and indicator (from the city profile; later the 年度目标 form)';
comment on table raw.ref_exceptional_event is '特殊事件(沙尘等): city-days that may be excluded from the evaluation (HJ 663-2026)';
