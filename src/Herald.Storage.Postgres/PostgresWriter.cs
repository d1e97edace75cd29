using System.Threading.Channels;
using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// The writer of a store instance: write operations from any task queue here and are committed in groups, every
/// operation waiting when a transaction starts joining it (up to a count and a size), so appends to many tasks at once
/// cost one commit (one WAL flush) instead of one each. Each operation runs after a savepoint and is released with its
/// own batch, so one refused operation (a conflict, a terminal task, a lost lease, or a lock or deadlock error of the
/// database) is rolled back alone and the others of its group commit. Callers learn their outcome only after the
/// commit, and the notifications ("task T reached n") queued by each operation are delivered by PostgreSQL at that
/// commit: nothing is read or streamed before it is durable.
/// </summary>
/// <remarks>
/// A group holds the row locks of all its tasks until its commit, so a writer on another replica that needs one of
/// them waits for the whole group; two groups on two replicas that lock the same tasks in opposite orders deadlock,
/// and PostgreSQL ends one statement (40P01): that operation alone fails, transiently, and is retried by its caller.
/// </remarks>
internal sealed class PostgresWriter : IAsyncDisposable
{
    private const string Savepoint = "herald_op";

    /// <summary>Ends an operation's batch: what it did is kept, and the next operation starts from here.</summary>
    private static readonly string[] NextSavepoint = [$"RELEASE SAVEPOINT {Savepoint}", $"SAVEPOINT {Savepoint}"];

    private readonly Channel<WriteOp> _queue;
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _maxGroup;
    private readonly long _maxGroupBytes;
    private readonly Func<NpgsqlConnection, NpgsqlTransaction, PostgresWriteContext> _contexts;
    private readonly Task _loop;
    private long _commits;
    private long _operations;

    public PostgresWriter(NpgsqlDataSource dataSource, Func<NpgsqlConnection, NpgsqlTransaction, PostgresWriteContext> contexts, int maxGroup, long maxGroupBytes, int maxQueued)
    {
        // Bounded: when the database is slow or away, callers wait for room instead of queueing without limit.
        _queue = Channel.CreateBounded<WriteOp>(new BoundedChannelOptions(Math.Max(1, maxQueued))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _dataSource = dataSource;
        _contexts = contexts;
        _maxGroup = Math.Max(1, maxGroup);
        _maxGroupBytes = Math.Max(1, maxGroupBytes);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Transactions committed so far (one per group that reached its commit).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Operations run so far, committed or refused.</summary>
    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>
    /// Queues an operation; completes after the commit that made it durable (or with its error). The token cancels only
    /// the wait for room in the queue: once queued, an operation runs, because the outcome of a write that may already be
    /// committed must not be lost.
    /// </summary>
    /// <param name="operation">The write.</param>
    /// <param name="bytes">About how many bytes it writes, for the group's size bound.</param>
    /// <param name="cancellationToken">Cancels the wait for room in the queue.</param>
    public async ValueTask<T> RunAsync<T>(Func<PostgresWriteContext, CancellationToken, ValueTask<T>> operation, long bytes, CancellationToken cancellationToken)
    {
        var op = new WriteOp<T>(operation, bytes);
        if (!_queue.Writer.TryWrite(op))
        {
            try
            {
                await _queue.Writer.WriteAsync(op, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException("The PostgreSQL store has been disposed.", ex);
            }
        }

        return await op.Completion.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var group = new List<WriteOp>(Math.Min(_maxGroup, 1024));
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            long bytes = 0;

            // The first operation always goes, however large; the others while the group stays under both bounds.
            while (group.Count < _maxGroup && reader.TryPeek(out var next) && (group.Count == 0 || bytes + next.Bytes <= _maxGroupBytes)
                && reader.TryRead(out var op))
            {
                group.Add(op);
                bytes += op.Bytes;
            }

            await CommitAsync(group).ConfigureAwait(false);
            Interlocked.Add(ref _operations, group.Count);
            foreach (var op in group)
            {
                op.Complete();
            }
        }
    }

    private async Task CommitAsync(List<WriteOp> group)
    {
        var committing = false;
        try
        {
            var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await ExecuteAsync(connection, transaction, $"SAVEPOINT {Savepoint}").ConfigureAwait(false);
                    for (var i = 0; i < group.Count; i++)
                    {
                        await RunOneAsync(connection, transaction, group[i], last: i == group.Count - 1).ConfigureAwait(false);
                    }

                    // Not canceled once committing: the outcome of writes that may be committed must not be lost.
                    committing = true;
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Increment(ref _commits);
                }
            }
        }
        catch (Exception ex)
        {
            // The transaction did not commit (or its outcome is unknown): every operation that had not failed on its own
            // fails with the cause, retryable when the cause may pass.
            var failure = PostgresFaults.IsTransient(ex) ? PostgresFaults.Unavailable(ex, write: true, mayHaveCommitted: committing) : ex;
            foreach (var op in group)
            {
                if (!op.FailedAlone)
                {
                    op.Failure = failure;
                }
            }
        }
    }

    /// <summary>
    /// Runs one operation of the group. Its batch ends by releasing the savepoint taken before it and taking the next
    /// one, so an operation costs no round trip of its own for savepoints; when it fails, the transaction goes back to
    /// that savepoint (which stays in place for the next operation).
    /// </summary>
    private async Task RunOneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, WriteOp op, bool last)
    {
        var context = _contexts(connection, transaction);
        try
        {
            await op.ExecuteAsync(context).ConfigureAwait(false);
            await context.FlushAsync(last ? [] : NextSavepoint, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not NpgsqlException || (ex is PostgresException && connection.FullState == System.Data.ConnectionState.Open))
        {
            // Refused by the store's rules, or by the database with the connection still fine (a lock timeout, a
            // deadlock, a constraint): this operation alone is undone; the connection failing takes the group with it.
            await ExecuteAsync(connection, transaction, $"ROLLBACK TO SAVEPOINT {Savepoint}").ConfigureAwait(false);
            op.Failure = PostgresFaults.IsTransient(ex) ? PostgresFaults.Unavailable(ex, write: true, mayHaveCommitted: false) : ex;
            op.FailedAlone = true;
        }
        finally
        {
            await context.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private abstract class WriteOp(long bytes)
    {
        public long Bytes { get; } = bytes;

        public Exception? Failure { get; set; }

        /// <summary>Failed and rolled back to its savepoint; the group's fate is not its own.</summary>
        public bool FailedAlone { get; set; }

        public abstract ValueTask ExecuteAsync(PostgresWriteContext context);

        public abstract void Complete();
    }

    private sealed class WriteOp<T>(Func<PostgresWriteContext, CancellationToken, ValueTask<T>> operation, long bytes) : WriteOp(bytes)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Completion => _completion.Task;

        public override async ValueTask ExecuteAsync(PostgresWriteContext context) =>
            _result = await operation(context, CancellationToken.None).ConfigureAwait(false);

        public override void Complete()
        {
            if (Failure is null)
            {
                _completion.TrySetResult(_result!);
            }
            else
            {
                _completion.TrySetException(Failure);
            }
        }
    }
}
