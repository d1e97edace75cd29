namespace Herald.Cli.Hosting;

/// <summary>
/// How many connections <c>herald serve</c> holds, derived from the open-files limit: every connection is one file
/// descriptor, and a process that runs out of descriptors cannot accept, open its store, start a command or even
/// create a thread, and dies. The budget leaves room for all of that.
/// </summary>
/// <param name="OpenFilesLimit">The soft open-files limit in force (after raising it), or null where unknown.</param>
/// <param name="OpenAtStart">Descriptors open when the budget was made.</param>
/// <param name="MaxConnections">Connections held at once; past it the connection idle the longest is closed, or the new one refused.</param>
/// <param name="AcceptLimit">
/// Sockets open at once, a little above <see cref="MaxConnections"/>: connections just closed to make room or
/// refused still hold their descriptor for a moment. Past it Herald stops accepting until one is closed.
/// </param>
/// <param name="KestrelMaxConnections">
/// Kestrel's own limit, a backstop above <see cref="AcceptLimit"/> that the accept gate keeps from being reached.
/// </param>
/// <param name="SafeMaxConnections">The most connections the open-files limit allows with the headroom kept; null where unknown.</param>
internal sealed record ConnectionBudget(ulong? OpenFilesLimit, int OpenAtStart, int MaxConnections, int AcceptLimit, int KestrelMaxConnections, int? SafeMaxConnections)
{
    /// <summary>Used where the open-files limit cannot be read (not Linux).</summary>
    public const int FallbackMaxConnections = 10_000;

    /// <summary>
    /// Descriptors always kept free, whatever the limit. The runtime holds one per loaded assembly and loads some 50
    /// to 100 more after start (about 160 are open when the budget is made, 210 once requests were served); store
    /// files, logs and the three pipes of each running exec command come on top.
    /// </summary>
    public const int MinimumReserve = 128;

    /// <summary>Raises the open-files limit where allowed, then derives the budget from it and from what is open already.</summary>
    public static ConnectionBudget Resolve(int? requested)
    {
        var soft = Posix.OpenFilesLimit.RaiseSoftToHard();
        return FromLimit(soft, Posix.OpenFilesLimit.CountOpen(), requested);
    }

    /// <summary>
    /// Of the descriptors not yet open, a quarter (at least <see cref="MinimumReserve"/>) stays free for everything
    /// but connections; the rest is the accept limit, and the held connections a sixteenth (at least 8) below it.
    /// </summary>
    internal static ConnectionBudget FromLimit(ulong? openFilesLimit, int openNow, int? requested)
    {
        int? safe = null;
        var hard = FallbackMaxConnections + Slack(FallbackMaxConnections);
        if (openFilesLimit is { } limit)
        {
            var available = (long)Math.Min(limit, Posix.OpenFilesLimit.Ceiling) - openNow;
            var reserve = Math.Max(MinimumReserve, available / 4);
            hard = (int)Math.Max(2, available - reserve);
            safe = Math.Max(1, hard - Slack(hard));
        }

        var max = requested ?? safe ?? FallbackMaxConnections;
        var accept = Math.Max(hard, max + Slack(max));
        return new ConnectionBudget(openFilesLimit, openNow, max, accept, accept + Slack(accept), safe);
    }

    private static int Slack(int connections) => Math.Max(8, connections / 16);
}
