-- Station publication history: real-time (preliminary) vs audited versions, and feed gaps.
-- The platform's real-time values are unaudited; audited values replace them the next month.
alter table raw.station_hour_publication
    add column if not exists publication_stage text not null default 'realtime';
do $$
begin
    if not exists (
        select 1 from pg_constraint where conname = 'station_hour_publication_stage_check'
    ) then
        alter table raw.station_hour_publication add constraint station_hour_publication_stage_check
            check (publication_stage in ('realtime', 'audited'));
    end if;
end
$$;
comment on column raw.station_hour_publication.publication_stage is
    '发布阶段: realtime = 实时发布(未审核), audited = 审核后数据 (replaces realtime in the marts)';

-- An hour for which an interval run found no file: recorded once, resolved when a file arrives.
create table if not exists audit.feed_gap (
    source text not null,
    expected_hour_end timestamptz not null,   -- hour END, as files are named
    detected_at timestamptz not null default now(),
    detected_by text,
    resolved_by_batch bigint references audit.load_batch (batch_id),
    primary key (source, expected_hour_end)
);
comment on table audit.feed_gap is '数据缺失时段: hours an interval expected a file for and found none';

create index if not exists station_hour_publication_hour
    on raw.station_hour_publication (observed_at);
