-- HJ 212 packets (污染源在线监测 CEMS, 工地扬尘, 微型站), issue 3. Idempotent: every statement can run again.
-- A packet log file (<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log) is one audit.load_batch (source 'hj212').
-- raw.hj212_packet keeps every well-formed packet as received, append-only, with its batch, file and
-- line (replays and re-deliveries included: what arrived when). raw.hj212_reading holds each reading
-- exactly once per key (device MN, CN, DataTime, pollutant code, statistic): the FIRST sighting wins;
-- later sightings are counted as duplicates in audit.load_batch.records_duplicate, and replays whose
-- value or flag differ are counted in audit.hj212_file.readings_conflicting (the packets stay in raw).
-- Packets with a wrong length or CRC go to quarantine.rejected_record with the reason, never to raw.

-- 报文原始记录 / every well-formed packet as received (append-only)
create table if not exists raw.hj212_packet (
    batch_id bigint not null references audit.load_batch (batch_id),
    source_file text not null,            -- path relative to the inbox
    line_number integer not null,         -- file line where the packet starts
    packet_seq integer not null,          -- position among the file's well-formed packets (1-based)
    receiver text not null,               -- the forwarder that wrote the file
    qn text,                              -- 请求编码 QN (YYYYMMDDhhmmsszzz)
    st text not null,                     -- 系统编码 ST: 22 air, 31 air pollution source, 39 dust
    cn text not null,                     -- 命令编码 CN: 2011/2051/2061/2031 data, 9011/9014 acks
    mn text not null,                     -- 设备唯一标识 MN
    flag integer,                         -- Flag as sent (null: absent, HJ/T 212-2005 style)
    protocol text not null,               -- standard named by the Flag version bits (see ingest/hj212.py)
    needs_ack boolean not null,           -- Flag bit A
    pnum integer,                         -- 总包数 (split messages, Flag bit D)
    pno integer,                          -- 包号
    data_time timestamptz,                -- DataTime (interval START for 2051/2061/2031)
    kind text not null check (kind in ('data', 'ack', 'other')),
    readings integer not null,            -- readings the packet carried
    was_split boolean not null,           -- arrived split across lines (reassembled)
    raw_packet text not null,             -- ## + length + data segment + CRC, as received
    primary key (batch_id, packet_seq)
);
comment on table raw.hj212_packet is 'HJ 212 报文 (append-only, every sighting incl. replays) / every well-formed packet as received';
create index if not exists hj212_packet_device_time on raw.hj212_packet (mn, cn, data_time);

-- 监测数据 (去重) / one row per reading key, first sighting wins
create table if not exists raw.hj212_reading (
    mn text not null,
    cn text not null,
    data_time timestamptz not null,       -- interval START for 2051/2061/2031 (local time UTC+8 in the packet)
    pollutant_code text not null,         -- HJ 212-2017 code (HJ/T 212-2005 codes mapped)
    statistic text not null check (
        statistic in ('rtd', 'avg', 'min', 'max', 'cou', 'zs_rtd', 'zs_avg', 'zs_min', 'zs_max')
    ),
    value numeric not null,               -- exactly the packet's text
    flag text,                            -- 数据标记 N F M S D C T B (null: none sent)
    st text not null,
    source_code text,                     -- the code as sent, when it was mapped (legacy 2005 / O3)
    qn text,                              -- QN of the packet that delivered it first
    -- no foreign key here (a per-row trigger on the busiest table: 40 percent of its COPY time):
    -- the loader writes the batch it opened in the same transaction; raw.hj212_packet keeps its FK
    batch_id bigint not null,
    source_file text not null,
    line_number integer not null,
    packet_seq integer not null,
    primary key (mn, cn, data_time, pollutant_code, statistic)
);
alter table raw.hj212_reading drop constraint if exists hj212_reading_batch_id_fkey;
comment on table raw.hj212_reading is 'HJ 212 监测数据, 每个键一行 (先到为准) / one row per (MN, CN, DataTime, code, statistic), first sighting wins';
create index if not exists hj212_reading_batch on raw.hj212_reading (batch_id);

-- 报文文件统计 / packet-level reconciliation of each packet log file
create table if not exists audit.hj212_file (
    batch_id bigint primary key references audit.load_batch (batch_id),
    receiver text not null,
    hour_start timestamptz,               -- the hour the forwarder named the file for (local START)
    packets_data integer not null,
    packets_ack integer not null,         -- 9011..9014: recognised and counted, not loaded
    packets_other integer not null,       -- other commands (parameters, logs): counted, not loaded
    packets_split integer not null,       -- reassembled from several lines
    packets_rejected integer not null,    -- wrong length / CRC / header: quarantined
    readings_parsed integer not null,
    readings_new integer not null,        -- = audit.load_batch.records_loaded
    readings_duplicate integer not null,  -- = audit.load_batch.records_duplicate (replays)
    readings_conflicting integer not null, -- replays whose value or flag differ from the first sighting
    fields_rejected integer not null      -- single fields quarantined (bad number, bad flag)
);
comment on table audit.hj212_file is 'HJ 212 报文文件对账 / per-file packet counts beside audit.load_batch';

-- 设备登记表 / device registry (config/device_registry.csv; bureau spreadsheets later). Replaced as a whole.
create table if not exists raw.device_registry (
    batch_id bigint not null references audit.load_batch (batch_id),
    mn text primary key,
    kind text not null check (kind in ('cems', 'dust', 'micro_station')),
    name text not null,                   -- enterprise (企业) or site (工地/站点) name
    uscc text,                            -- 统一社会信用代码 (blank for sites and stations)
    outlet_id text,                       -- 排口编号 / monitoring point id
    outlet_name text,
    county text,
    industry text,
    o2_ref_pct numeric,                   -- 基准氧含量 (percent) of the emission standard (CEMS)
    emission_standard_id text             -- e.g. GB13223-2011-special (see seed hj212_emission_limits)
);
comment on table raw.device_registry is '在线监测设备登记 / HJ 212 devices: MN -> enterprise/site, outlet, reference O2, standard';
