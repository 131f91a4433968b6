/// The Lua scripts that change the directory in Redis. Each runs atomically: it checks, writes,
/// bumps `<name>:version` and publishes the change on `<name>:events` in one step, so that
/// every node sees the changes in the order Redis made them and can tell when it missed one
/// (`ClusterDirectory`). They touch keys named in their arguments (the lease keys of other
/// nodes), which a single Redis allows and Redis Cluster does not: docs/CLUSTER.md, "Limits".
enum ClusterScripts {
    /// KEYS: names, version, own lease, grace. ARGV: id, node, events channel.
    /// Returns the new version (or the current one when this node holds the id already: a
    /// registration took it first), 0 when another node holds it, -1 when this node's lease is
    /// gone, -2 during the grace after Redis lost its data.
    static let claim = """
        if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
        if redis.call('EXISTS', KEYS[4]) == 1 then return -2 end
        if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
          if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
            return tonumber(redis.call('GET', KEYS[2]) or '0')
          end
          return 0
        end
        local v = redis.call('INCR', KEYS[2])
        redis.call('PUBLISH', ARGV[3], v .. ' + ' .. ARGV[2] .. ' ' .. ARGV[1])
        return v
        """

    /// KEYS: names, version. ARGV: id, node, events channel.
    /// Returns the new version, or 0 when the id was not this node's.
    static let release = """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        local v = redis.call('INCR', KEYS[2])
        redis.call('PUBLISH', ARGV[3], v .. ' - ' .. ARGV[2] .. ' ' .. ARGV[1])
        return v
        """

    /// KEYS: names, version, nodes, own lease, epoch, grace. ARGV: node, lease in ms, events
    /// channel, "1" if this node was registered before, "2" if besides Redis may have lost what
    /// it wrote (another Redis process answers now: a failover, a restart), else "0"; the lease's value (this
    /// process's `ClusterInstance`), then every id online on this node. Takes the lease, joins the
    /// nodes, makes this node's ids in the directory exactly the ones given (those another node
    /// holds are not taken). A Redis without the epoch lost its data (or is new): a node that was
    /// registered before then starts a grace of one lease, during which no new id is claimed, so
    /// that every living node registers its ids first; so does a node that suspects a partial
    /// loss ("2": a replica promoted without the last claims keeps the epoch).
    /// Returns {version, {ids held by another node}}, or {-1, the lease's value} when another
    /// process holds this node id's lease (two processes started with one `--node-id`).
    static let register = """
        local holder = redis.call('GET', KEYS[4])
        if holder and string.sub(holder, 1, \(ClusterInstance.tokenLength)) ~= string.sub(ARGV[5], 1, \(ClusterInstance.tokenLength)) then
          return {-1, holder}
        end
        if redis.call('EXISTS', KEYS[5]) == 0 then
          redis.call('SET', KEYS[5], '1')
          if ARGV[4] ~= '0' then redis.call('SET', KEYS[6], '1', 'PX', ARGV[2]) end
        elseif ARGV[4] == '2' then
          redis.call('SET', KEYS[6], '1', 'PX', ARGV[2])
        end
        redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[2])
        redis.call('SADD', KEYS[3], ARGV[1])
        local mine = {}
        for i = 6, #ARGV do mine[ARGV[i]] = true end
        local changed = false
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          if all[i + 1] == ARGV[1] and not mine[all[i]] then
            redis.call('HDEL', KEYS[1], all[i])
            changed = true
          end
        end
        local taken = {}
        for i = 6, #ARGV do
          local owner = redis.call('HGET', KEYS[1], ARGV[i])
          if not owner then
            redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
            changed = true
          elseif owner ~= ARGV[1] then
            table.insert(taken, ARGV[i])
          end
        end
        local v = tonumber(redis.call('GET', KEYS[2]) or '0')
        if changed then
          v = redis.call('INCR', KEYS[2])
          redis.call('PUBLISH', ARGV[3], v .. ' *')
        end
        return {v, taken}
        """

    /// KEYS: own lease, version. ARGV: lease in ms, the lease's value (`ClusterInstance`).
    /// Extends the lease if it still exists and is this process's: returns the version, or -1
    /// when it is gone (Redis restarted or was flushed, or it ran out and another process with
    /// this node id took it: register again, which says which).
    static let refresh = """
        local holder = redis.call('GET', KEYS[1])
        if not holder or string.sub(holder, 1, \(ClusterInstance.tokenLength)) ~= string.sub(ARGV[2], 1, \(ClusterInstance.tokenLength)) then
          return -1
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
        return tonumber(redis.call('GET', KEYS[2]) or '0')
        """

    /// KEYS: own lease. ARGV: this process's token, the inbox channel, the payload.
    /// Publishes only while the lease is this process's (the fence at Redis: a payload that
    /// arrives after the lease ran out is dropped). Returns the receivers, or -1.
    static let publish = """
        local holder = redis.call('GET', KEYS[1])
        if not holder or string.sub(holder, 1, \(ClusterInstance.tokenLength)) ~= ARGV[1] then return -1 end
        return redis.call('PUBLISH', ARGV[2], ARGV[3])
        """

    /// KEYS: a node's lease. Returns {its value or nil, its time to live in ms}.
    static let peekLease = """
        return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
        """

    /// KEYS: names, version, nodes. ARGV: lease key prefix, events channel.
    /// Drops every node whose lease expired, with its ids. Returns the new version, or 0.
    static let reap = """
        local dead = {}
        local gone = {}
        for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do
          if redis.call('EXISTS', ARGV[1] .. n) == 0 then
            table.insert(dead, n)
            gone[n] = true
          end
        end
        if #dead == 0 then return 0 end
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          if gone[all[i + 1]] then redis.call('HDEL', KEYS[1], all[i]) end
        end
        for _, n in ipairs(dead) do redis.call('SREM', KEYS[3], n) end
        local v = redis.call('INCR', KEYS[2])
        redis.call('PUBLISH', ARGV[2], v .. ' x ' .. table.concat(dead, ' '))
        return v
        """

    /// KEYS: names, version, nodes, own lease. ARGV: node, events channel, the lease's value.
    /// A node leaving: its lease, its membership and its ids go at once. Returns the version, or
    /// 0 when another process holds the lease (and so the node id): its ids stay.
    static let leave = """
        local holder = redis.call('GET', KEYS[4])
        if holder and string.sub(holder, 1, \(ClusterInstance.tokenLength)) ~= string.sub(ARGV[3], 1, \(ClusterInstance.tokenLength)) then
          return 0
        end
        redis.call('DEL', KEYS[4])
        redis.call('SREM', KEYS[3], ARGV[1])
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          if all[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) end
        end
        local v = redis.call('INCR', KEYS[2])
        redis.call('PUBLISH', ARGV[2], v .. ' x ' .. ARGV[1])
        return v
        """

    /// KEYS: names, version. Returns {version, {id, node, id, node, ...}}, read at one instant.
    static let snapshot = """
        return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('HGETALL', KEYS[1])}
        """
}
