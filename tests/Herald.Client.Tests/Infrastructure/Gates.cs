using System.Collections.Concurrent;

namespace Herald.Client.Tests.Infrastructure;

/// <summary>Named signals shared by tests and the test agent: the agent waits, the test opens.</summary>
internal static class Gates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Signals = new(StringComparer.Ordinal);

    public static string NewKey() => Guid.NewGuid().ToString("N")[..12];

    public static Task WaitAsync(string key, CancellationToken cancellationToken) => Get(key).Task.WaitAsync(Bounded.Timeout, cancellationToken);

    public static void Open(string key) => Get(key).TrySetResult();

    private static TaskCompletionSource Get(string key) => Signals.GetOrAdd(key, _ => Bounded.NewSignal());
}
