using System.Diagnostics;
using System.Globalization;

namespace Herald.LoadGen;

/// <summary>The named scenarios. Every wait is bounded by the measurement's time limit.</summary>
internal sealed partial class Scenarios(LoadGenOptions options, HttpClient http, Action<string> log)
{
    private readonly A2AWire _wire = new(options.A2AVersion, options.Binding);
    private readonly ServerProcess _server = new(options.ServerPid);
    private readonly ServerSampler _sampler = new(new ServerProcess(options.ServerPid), http, options.Url);
    private readonly GrpcWire? _grpc = options.Binding == "grpc" ? new GrpcWire(options.Url) : null;

    public Task<List<Measurement>> RunAsync() => options.Scenario switch
    {
        "stream" => StreamAsync(),
        "fanout" => FanoutAsync(),
        "idle" => IdleAsync(),
        "latency" => LatencyAsync(),
        "many-tasks" => ManyTasksAsync(),
        "churn" => ChurnAsync(),
        "replica-latency" => ReplicaLatencyAsync(),
        _ => throw new ArgumentException($"Unknown scenario '{options.Scenario}'. Use stream, fanout, idle, latency or many-tasks."),
    };

    // ---- stream: one task, N chunks, one client ----

    private async Task<List<Measurement>> StreamAsync()
    {
        await WarmUpAsync();

        // The sizes take turns (1,000, 10,000, 1,000, ...) so that a GC or a noisy neighbour falls on
        // each of them alike; each size stops repeating once its time budget is spent.
        var runs = options.N.ToDictionary(n => n, _ => new List<StreamRecorder>());
        var spent = options.N.ToDictionary(n => n, _ => TimeSpan.Zero);
        var deltas = options.N.ToDictionary(n => n, _ => new List<(ServerSample Before, ServerSample After)>());
        for (var round = 0; round < options.Repeat; round++)
        {
            foreach (var n in options.N)
            {
                var done = runs[n];
                if (done.Count > 0 && (spent[n] >= options.Budget || done[^1].Error is not null))
                {
                    continue;
                }

                var run = new StreamRecorder();
                using var cts = new CancellationTokenSource(options.Timeout);
                var before = await _sampler.SampleAsync();
                await RunStreamAsync(run, $"{n} delay=0", cts.Token);
                deltas[n].Add((before, await _sampler.SampleAsync()));
                spent[n] += Stopwatch.GetElapsedTime(run.StartTicks, run.EndTicks);
                done.Add(run);
                log($"  stream N={n} run {done.Count}: {run.Events} events in {Ms(run.StartTicks, run.EndTicks):F0} ms{(run.Error is null ? "" : " - " + run.Error)}");
            }
        }

        var results = new List<Measurement>();
        foreach (var n in options.N)
        {
            var done = runs[n];
            var rates = done.Select(r => r.Events / Seconds(r.StartTicks, r.EndTicks)).Order().ToArray();
            var m = new Measurement { Name = $"stream N={n}" };
            m.Metrics["events_per_s"] = Median(rates);
            m.Metrics["events_per_s_best"] = rates[^1];
            m.Metrics["events_per_s_worst"] = rates[0];
            m.Metrics["us_per_event"] = 1e6 / Median(rates);
            m.Metrics["events_per_run"] = done[0].Events;
            m.Metrics["runs"] = done.Count;

            // From the first event on: the per-event cost without the request and task set-up.
            m.Metrics["events_per_s_steady"] = Median(done.Select(r => (r.Events - 1) / Seconds(r.FirstEventTicks, r.EndTicks)).Order().ToArray());
            m.Metrics["first_event_ms"] = Median(done.Select(r => Ms(r.StartTicks, r.FirstEventTicks)).Order().ToArray());
            ServerSample.AddSum(m, deltas[n], done.Sum(r => r.Events));
            m.Metrics["sse_id_gaps"] = done.Sum(r => r.IdGaps);
            Check(m, done.All(r => r.Completed && r.Chunks == n), done.FirstOrDefault(r => !r.Completed)?.Error ?? "chunks missing");
            results.Add(m);
        }

        return results;
    }

    // ---- fanout: one task, K subscribers ----

    private async Task<List<Measurement>> FanoutAsync()
    {
        var results = new List<Measurement>();
        var n = options.N[0];
        await WarmUpAsync();
        foreach (var k in options.K)
        {
            // Long enough for every subscriber to attach before the first chunk.
            var startMs = options.StartMs ?? 1000 + 4.0 * k;
            using var cts = new CancellationTokenSource(options.Timeout);
            var before = await _sampler.SampleAsync();
            var sendStart = Stopwatch.GetTimestamp();
            var taskId = await StartTaskAsync($"{n} delay=0 start={startMs.ToString(CultureInfo.InvariantCulture)}", cts.Token);
            var subscribers = new StreamRecorder[k];
            var runs = new Task[k];
            using var opening = new SemaphoreSlim(64);
            for (var i = 0; i < k; i++)
            {
                var recorder = subscribers[i] = new StreamRecorder();
                await opening.WaitAsync(cts.Token);
                runs[i] = RunSubscribeAsync(recorder, taskId, cts.Token, Replica(i));
                _ = recorder.FirstEvent.Task.ContinueWith(_ => opening.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            await Task.WhenAll(runs);
            var after = await _sampler.SampleAsync();
            var subscribedMs = Ms(sendStart, subscribers.Max(s => s.FirstEventTicks));
            var complete = subscribers.Count(s => s.Completed && s.Chunks == n);
            var late = subscribers.Count(s => s.JoinedLate);
            var fingerprints = subscribers.Where(s => s.Completed).GroupBy(s => s.Fingerprint).Count();
            var deliveries = subscribers.Sum(s => Math.Max(0, s.Events - 1));
            var firstChunk = subscribers.Where(s => s.FirstChunkTicks > 0).Select(s => s.FirstChunkTicks).DefaultIfEmpty(0).Min();
            var lastEnd = subscribers.Max(s => s.EndTicks);
            var m = new Measurement { Name = $"fanout K={k}" };
            m.Metrics["deliveries_per_s"] = firstChunk == 0 ? 0 : deliveries / Seconds(firstChunk, lastEnd);
            m.Metrics["deliveries"] = deliveries;
            m.Metrics["chunks_per_subscriber"] = n;
            m.Metrics["subscribers"] = k;
            m.Metrics["complete"] = complete;
            m.Metrics["distinct_sequences"] = fingerprints;
            m.Metrics["late_subscribers"] = late;
            m.Metrics["all_subscribed_ms"] = subscribedMs;
            m.Metrics["start_delay_ms"] = startMs;
            m.Metrics["delivery_window_ms"] = firstChunk == 0 ? 0 : Ms(firstChunk, lastEnd);
            m.Metrics["sse_id_gaps"] = subscribers.Sum(s => s.IdGaps);
            ServerSample.AddDelta(m, before, after, deliveries);
            Check(m, complete == k && fingerprints == 1 && late == 0,
                $"{complete}/{k} complete, {fingerprints} distinct sequences (" +
                string.Join(", ", subscribers.Where(s => s.Completed).GroupBy(s => s.Fingerprint).Select(g => $"{g.Count()} subscriber(s) with {g.Key.Events} events from the first chunk")) +
                $"), {late} late; first problem: {subscribers.FirstOrDefault(s => !s.Completed)?.Error}");
            log($"  fanout K={k}: {deliveries} deliveries, {m.Metrics["deliveries_per_s"]:F0}/s, complete {complete}/{k}, distinct {fingerprints}, late {late}, all subscribed after {subscribedMs:F0} ms");
            results.Add(m);
        }

        return results;
    }

    // ---- idle: C open streams held ----

    private async Task<List<Measurement>> IdleAsync()
    {
        var results = new List<Measurement>();
        await WarmUpAsync();
        foreach (var c in options.C)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var rss0 = _server.RssKiB();
            var holdMs = (long)options.Hold.TotalMilliseconds;
            using var cts = new CancellationTokenSource(options.Timeout + options.Hold);
            var streams = new StreamRecorder[c];
            var runs = new Task[c];
            var openStart = Stopwatch.GetTimestamp();
            using (var opening = new SemaphoreSlim(64))
            {
                for (var i = 0; i < c; i++)
                {
                    var recorder = streams[i] = new StreamRecorder();
                    await opening.WaitAsync(cts.Token);
                    // One chunk after the hold, then completed: each stream lives exactly `hold`.
                    runs[i] = RunStreamAsync(recorder, $"1 delay={holdMs}", cts.Token);
                    _ = recorder.FirstEvent.Task.ContinueWith(_ => opening.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                await Task.WhenAll(streams.Select(s => s.FirstEvent.Task)).WaitAsync(cts.Token);
            }

            var openMs = Ms(openStart, Stopwatch.GetTimestamp());
            // Let the server settle, but sample well before the first streams reach the end of their hold.
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(3, options.Hold.TotalSeconds / 4)));
            var rss1 = _server.RssKiB();
            var openAtSample = streams.Count(s => s.Opened && !s.Ended);
            log($"  idle C={c}: {openAtSample} open after {openMs:F0} ms; server RSS {rss0} -> {rss1} KiB");
            await Task.WhenAll(runs);
            var heldFully = streams.Count(s => s.Completed && s.Chunks == 1 && Ms(s.StartTicks, s.EndTicks) >= holdMs * 0.98);
            var m = new Measurement { Name = $"idle C={c}" };
            m.Metrics["streams"] = c;
            m.Metrics["open_at_sample"] = openAtSample;
            m.Metrics["held_and_completed"] = heldFully;
            m.Metrics["hold_s"] = options.Hold.TotalSeconds;
            m.Metrics["open_all_ms"] = openMs;
            if (rss0 is { } before && rss1 is { } after && openAtSample > 0)
            {
                m.Metrics["rss_before_kib"] = before;
                m.Metrics["rss_open_kib"] = after;
                m.Metrics["kib_per_stream"] = (after - before) / (double)openAtSample;
            }

            Check(m, heldFully == c, $"{heldFully}/{c} streams stayed open for the whole hold and completed; first problem: {streams.FirstOrDefault(s => !s.Completed)?.Error}");
            log($"  idle C={c}: {heldFully}/{c} held {options.Hold.TotalSeconds:F0} s and completed");
            results.Add(m);
        }

        return results;
    }

    // ---- latency: one stream at a fixed rate ----

    private async Task<List<Measurement>> LatencyAsync()
    {
        await WarmUpAsync();
        var delayMs = 1000.0 / options.Rate;
        var delay = delayMs.ToString("0.###", CultureInfo.InvariantCulture);

        // Warm-up at the same rate (JIT, connection), discarded.
        using (var warm = new CancellationTokenSource(options.Timeout))
        {
            await RunStreamAsync(new StreamRecorder(recordLatency: true), $"{(int)options.Rate} delay={delay}", warm.Token);
        }

        var n = (int)(options.Rate * options.Duration.TotalSeconds);
        var run = new StreamRecorder(recordLatency: true, expectedChunks: n);
        using var cts = new CancellationTokenSource(options.Timeout + options.Duration);
        var before = await _sampler.SampleAsync();
        await RunStreamAsync(run, $"{n} delay={delay}", cts.Token);
        var after = await _sampler.SampleAsync();
        var latencies = run.LatenciesUs.Select(us => us / 1000.0).Order().ToArray();
        var m = new Measurement { Name = $"latency rate={options.Rate:0}/s" };
        if (latencies.Length > 0)
        {
            m.Metrics["p50_ms"] = Percentile(latencies, 0.50);
            m.Metrics["p90_ms"] = Percentile(latencies, 0.90);
            m.Metrics["p99_ms"] = Percentile(latencies, 0.99);
            m.Metrics["p999_ms"] = Percentile(latencies, 0.999);
            m.Metrics["max_ms"] = latencies[^1];
            m.Metrics["min_ms"] = latencies[0];
            m.Metrics["chunks"] = latencies.Length;
            m.Metrics["achieved_rate"] = run.Chunks / Seconds(run.FirstChunkTicks, run.EndTicks);
        }

        ServerSample.AddDelta(m, before, after, run.Events);
        Check(m, run.Completed && latencies.Length == n && (latencies.Length == 0 || latencies[0] >= -0.05),
            latencies.Length > 0 && latencies[0] < -0.05 ? "negative latency: the server does not stamp with this machine's monotonic clock" : run.Error ?? $"{latencies.Length}/{n} chunks timestamped");
        log($"  latency: {latencies.Length} chunks, p50 {m.Metrics.GetValueOrDefault("p50_ms"):F3} ms, p99 {m.Metrics.GetValueOrDefault("p99_ms"):F3} ms, max {m.Metrics.GetValueOrDefault("max_ms"):F3} ms");
        return [m];
    }

    // ---- many-tasks: T tasks, T clients, concurrently ----

    private async Task<List<Measurement>> ManyTasksAsync()
    {
        var results = new List<Measurement>();
        var n = options.N[0];
        await WarmUpAsync();
        foreach (var t in options.T)
        {
            var rates = new List<double>();
            long events = 0;
            var complete = 0;
            var runs = 0;
            string? problem = null;
            var before = await _sampler.SampleAsync();
            var database = new List<(DatabaseSample Before, DatabaseSample After, double Seconds)>();
            var spent = Stopwatch.StartNew();
            while (runs < options.Repeat && (runs == 0 || spent.Elapsed < options.Budget))
            {
                using var cts = new CancellationTokenSource(options.Timeout);
                var streams = Enumerable.Range(0, t).Select(_ => new StreamRecorder()).ToArray();
                var databaseBefore = await SampleDatabaseAsync(cts.Token);
                var start = Stopwatch.GetTimestamp();
                await Task.WhenAll(streams.Select((s, i) => RunStreamAsync(s, $"{n} delay=0", cts.Token, Replica(i))));
                var end = Stopwatch.GetTimestamp();
                if (databaseBefore is not null && await SampleDatabaseAsync(cts.Token) is { } databaseAfter)
                {
                    database.Add((databaseBefore, databaseAfter, Seconds(start, end)));
                }

                var runEvents = streams.Sum(s => s.Events);
                var runComplete = streams.Count(s => s.Completed && s.Chunks == n);
                events += runEvents;
                complete += runComplete;
                runs++;
                rates.Add(runEvents / Seconds(start, end));
                problem ??= streams.FirstOrDefault(s => !s.Completed)?.Error;
                log($"  many-tasks T={t} run {runs}: {runEvents} events in {Ms(start, end):F0} ms = {rates[^1]:F0}/s, complete {runComplete}/{t}");
                if (runComplete != t)
                {
                    break;
                }
            }

            var after = await _sampler.SampleAsync();
            var sorted = rates.Order().ToArray();
            var m = new Measurement { Name = $"many-tasks T={t}" };
            m.Metrics["events_per_s"] = Median(sorted);
            m.Metrics["events_per_s_best"] = sorted[^1];
            m.Metrics["events"] = events / runs;
            m.Metrics["tasks"] = t;
            m.Metrics["chunks_per_task"] = n;
            m.Metrics["complete"] = complete / runs;
            m.Metrics["runs"] = runs;
            m.Metrics["elapsed_ms"] = events / runs / Median(sorted) * 1000;
            ServerSample.AddDelta(m, before, after, events);
            AddDatabaseRates(m, database, events);
            Check(m, complete == t * runs, $"{complete}/{t * runs} complete; first problem: {problem}");
            results.Add(m);
        }

        return results;
    }

    // ---- helpers ----

    /// <summary>
    /// Unmeasured streams of 200 chunks first, so that neither side is measured while its JIT is still
    /// compiling or tiering up: 40 of them (enough calls for .NET's tier-1 promotion of per-request
    /// code), or fewer if <see cref="LoadGenOptions.WarmUp"/> runs out, but at least 3. Kept short on
    /// purpose: an in-memory server keeps every warm-up task, and a large retained heap slows its GC.
    /// </summary>
    private async Task WarmUpAsync()
    {
        using var cts = new CancellationTokenSource(options.Timeout);
        var spent = Stopwatch.StartNew();
        for (var i = 0; i < 3 || (i < 40 && spent.Elapsed < options.WarmUp); i++)
        {
            var run = new StreamRecorder();
            await RunStreamAsync(run, "200 delay=0", cts.Token);
            if (run.Error is not null)
            {
                throw new InvalidOperationException($"Warm-up stream against {options.Url} failed: {run.Error}");
            }
        }

        // Tier-1 compilation happens in the background after a short delay.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
    }

    /// <summary>A streaming send read by <paramref name="recorder"/>, over the binding measured.</summary>
    private Task RunStreamAsync(StreamRecorder recorder, string text, CancellationToken cancellationToken, Uri? url = null) =>
        _grpc is { } grpc
            ? recorder.RunAsync(ct => grpc.StreamMessage(text, ct), cancellationToken)
            : recorder.RunAsync(http, _wire.StreamMessage(url ?? options.Url, text), cancellationToken);

    /// <summary>A subscription read by <paramref name="recorder"/>, over the binding measured.</summary>
    private Task RunSubscribeAsync(StreamRecorder recorder, string taskId, CancellationToken cancellationToken, Uri? url = null) =>
        _grpc is { } grpc
            ? recorder.RunAsync(ct => grpc.Subscribe(taskId, ct), cancellationToken)
            : recorder.RunAsync(http, _wire.Subscribe(url ?? options.Url, taskId), cancellationToken);

    /// <summary>Starts a task with SendMessage (return immediately) and returns its id.</summary>
    private async Task<string> StartTaskAsync(string text, CancellationToken cancellationToken)
    {
        if (_grpc is { } grpc)
        {
            return await grpc.StartTaskAsync(text, cancellationToken);
        }

        using var response = await http.SendAsync(_wire.SendMessageImmediately(options.Url, text), cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var info = EventParser.Parse(body);
        return info.Kind == EventKind.Task && info.TaskId is { } id
            ? id
            : throw new InvalidOperationException("SendMessage did not return a task: " + A2AWire.Describe(response, body));
    }

    private static void Check(Measurement m, bool ok, string problem)
    {
        m.Ok = ok;
        m.Problem = ok ? null : problem;
    }

    private static double Seconds(long from, long to) => Math.Max(1e-9, Stopwatch.GetElapsedTime(from, to).TotalSeconds);

    private static double Ms(long from, long to) => from == 0 || to == 0 ? double.NaN : Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static double Median(double[] sorted) => sorted.Length == 0 ? double.NaN : Percentile(sorted, 0.5);

    private static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(sorted.Length - 1, low + 1);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
