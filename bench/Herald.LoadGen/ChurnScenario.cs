using System.Diagnostics;
using System.Text.Json;

namespace Herald.LoadGen;

/// <summary>
/// churn: many short tasks, one after the other from a few clients, while the server's resident memory
/// is sampled every second. With retention on, ended tasks are deleted as new ones arrive, so memory must
/// level off; without it, it grows with every task. The figures: RSS at each quarter of the run, the live
/// managed heap after a full collection at each quarter (Herald's bench server only: RSS also holds the free
/// space the GC keeps committed, which a 15-second run never gives back), and how much each still grew over
/// the second half.
/// </summary>
internal sealed partial class Scenarios
{
    private async Task<List<Measurement>> ChurnAsync()
    {
        await WarmUpAsync();
        var total = options.Tasks;
        var started = 0;
        var completed = 0;
        var failed = 0;
        string? problem = null;
        var samples = new List<(double Seconds, int Done, double RssMib)>();
        var heapStart = await _sampler.LiveHeapMibAsync();
        var heapAtQuarter = new double?[3];
        var quarter = 0;
        using var cts = new CancellationTokenSource(options.Timeout);
        var clock = Stopwatch.StartNew();

        async Task ClientAsync()
        {
            while (Interlocked.Increment(ref started) <= total)
            {
                var run = new StreamRecorder();
                await run.RunAsync(http, _wire.StreamMessage(options.Url, "1 delay=0"), cts.Token);
                if (run.Completed)
                {
                    Interlocked.Increment(ref completed);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    problem ??= run.Error ?? "a stream ended without completing";
                }
            }
        }

        var clients = Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(ClientAsync)));
        while (!clients.IsCompleted)
        {
            samples.Add((clock.Elapsed.TotalSeconds, Volatile.Read(ref completed), (_server.RssKiB() ?? 0) / 1024.0));
            if (quarter < 3 && samples[^1].Done >= (quarter + 1) * total / 4.0)
            {
                heapAtQuarter[quarter++] = await _sampler.LiveHeapMibAsync();
            }

            await Task.WhenAny(clients, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        await clients;
        var heapEnd = await _sampler.LiveHeapMibAsync();
        var elapsed = clock.Elapsed.TotalSeconds;
        samples.Add((elapsed, completed, (_server.RssKiB() ?? 0) / 1024.0));
        var listed = await CountTasksAsync(cts.Token);

        double RssAt(double fraction) => samples.First(s => s.Done >= fraction * total).RssMib;
        var m = new Measurement { Name = $"churn tasks={total}" + (options.Variant is { } variant ? $" ({variant})" : "") };
        m.Metrics["tasks"] = total;
        m.Metrics["completed"] = completed;
        m.Metrics["tasks_per_s"] = completed / elapsed;
        m.Metrics["elapsed_s"] = elapsed;
        m.Metrics["rss_start_mib"] = samples[0].RssMib;
        m.Metrics["rss_25_mib"] = RssAt(0.25);
        m.Metrics["rss_50_mib"] = RssAt(0.5);
        m.Metrics["rss_75_mib"] = RssAt(0.75);
        m.Metrics["rss_end_mib"] = samples[^1].RssMib;
        m.Metrics["rss_max_mib"] = samples.Max(s => s.RssMib);

        // Plateau: over the second half of the run (25,000 more tasks at the default size) memory grew by this much.
        m.Metrics["rss_growth_second_half_mib"] = samples[^1].RssMib - RssAt(0.5);
        m.Metrics["rss_kib_per_task_second_half"] = (samples[^1].RssMib - RssAt(0.5)) * 1024 / (total / 2.0);
        if (heapStart is { } h0 && heapEnd is { } hEnd && heapAtQuarter.All(h => h is not null))
        {
            m.Metrics["heap_start_mib"] = h0;
            m.Metrics["heap_25_mib"] = heapAtQuarter[0]!.Value;
            m.Metrics["heap_50_mib"] = heapAtQuarter[1]!.Value;
            m.Metrics["heap_75_mib"] = heapAtQuarter[2]!.Value;
            m.Metrics["heap_end_mib"] = hEnd;
            m.Metrics["heap_kib_per_task_second_half"] = (hEnd - heapAtQuarter[1]!.Value) * 1024 / (total / 2.0);
        }

        if (listed is { } count)
        {
            m.Metrics["tasks_listed_at_end"] = count;
        }

        // Once retention has deleted every task of the run, what the server still holds is what the tasks left behind.
        if (options.Settle is { } settle && heapStart is { } start)
        {
            await Task.Delay(settle, cts.Token);
            if (await _sampler.LiveHeapMibAsync() is { } settled)
            {
                m.Metrics["heap_settled_mib"] = settled;
                m.Metrics["heap_left_kib_per_task"] = (settled - start) * 1024 / total;
            }

            if (await CountTasksAsync(cts.Token) is { } remaining)
            {
                m.Metrics["tasks_listed_settled"] = remaining;
            }
        }

        m.Metrics["samples"] = samples.Count;
        Check(m, completed == total, $"{failed} of {total} tasks did not complete; first problem: {problem}");
        log($"  churn: {completed}/{total} tasks in {elapsed:F0} s ({completed / elapsed:F0}/s); RSS {samples[0].RssMib:F0} -> {RssAt(0.5):F0} (half) -> {samples[^1].RssMib:F0} MiB (end), max {m.Metrics["rss_max_mib"]:F0}; listed at end: {listed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "n/a"}");
        return [m];
    }

    private async Task<long?> CountTasksAsync(CancellationToken cancellationToken)
    {
        if (_wire.Version != "1.0")
        {
            return null;
        }

        using var response = await http.SendAsync(_wire.CountTasks(options.Url), cancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        // JSON-RPC wraps the ListTasksResponse in result; REST answers with it bare.
        var page = _wire.IsRest ? body.RootElement : body.RootElement.TryGetProperty("result", out var result) ? result : default;
        return page.ValueKind == JsonValueKind.Object && page.TryGetProperty("totalSize", out var size) ? size.GetInt64() : null;
    }
}
