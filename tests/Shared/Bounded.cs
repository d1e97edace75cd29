namespace Herald.Testing;

/// <summary>Bounded waits: a test that would hang fails instead. Generous: the machine is small and shared with other builds.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Timeout);

    public static Task Within(this ValueTask task) => task.AsTask().WaitAsync(Timeout);

    /// <summary>A token that cancels after the bound; pass it to streams so they cannot hang a test.</summary>
    public static CancellationTokenSource Token() => new(Timeout);

    /// <summary>Drains a stream that must end by itself within the bound.</summary>
    public static async Task<List<T>> CollectWithin<T>(this IAsyncEnumerable<T> source)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var list = new List<T>();
        try
        {
            await foreach (var item in source.WithCancellation(cts.Token))
            {
                list.Add(item);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"The stream did not end within {Timeout.TotalSeconds} s; it had yielded {list.Count} item(s).");
        }

        return list;
    }

    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
