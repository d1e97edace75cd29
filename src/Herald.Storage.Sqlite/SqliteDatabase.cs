using System.Collections.Concurrent;

namespace Herald.Storage.Sqlite;

/// <summary>
/// What every store instance on one database file shares in this process: the lock file that keeps other
/// processes out, and the wake-up hub ("task T has new events") that the writers signal after each commit.
/// The first instance to open the file in this process holds the lock; as no other process can have been
/// using the file since, every runner lease found in it belongs to a process that is gone.
/// </summary>
internal sealed class SqliteDatabase
{
    private static readonly Dictionary<string, SqliteDatabase> Open = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);
    private readonly FileStream _lock;
    private int _references;

    private SqliteDatabase(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    /// <summary>
    /// Joins the shared state of <paramref name="path"/>; <paramref name="first"/> says whether this is the first
    /// instance in the process (the one that must recover what a previous process left).
    /// </summary>
    public static SqliteDatabase Acquire(string path, out bool first)
    {
        lock (Open)
        {
            if (Open.TryGetValue(path, out var existing))
            {
                existing._references++;
                first = false;
                return existing;
            }

            FileStream lockFile;
            try
            {
                // FileShare.None takes an exclusive advisory lock (flock) that the OS drops when the process dies.
                lockFile = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                throw new InvalidOperationException(
                    $"The database '{path}' is in use by another process (its lock file '{path}.lock' is held). " +
                    "One Herald process serves a SQLite database; use PostgreSQL for several replicas.", ex);
            }

            var database = new SqliteDatabase(path, lockFile) { _references = 1 };
            Open[path] = database;
            first = true;
            return database;
        }
    }

    public void Release()
    {
        lock (Open)
        {
            if (--_references > 0)
            {
                return;
            }

            Open.Remove(Path);
            _lock.Dispose();
        }
    }

    /// <summary>The signal to wait on before checking for new events of <paramref name="taskId"/>.</summary>
    public Task WaitSignal(string taskId) =>
        _waiters.GetOrAdd(taskId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes whoever waits on <paramref name="taskId"/>; called after the commit that made its events visible.</summary>
    public void Signal(string taskId)
    {
        if (_waiters.TryRemove(taskId, out var signal))
        {
            signal.TrySetResult();
        }

        Appended?.Invoke();
    }

    /// <summary>Called with every <see cref="Signal"/>: some task's log grew (stores of this file hear it for push delivery).</summary>
    public event Action? Appended;
}
