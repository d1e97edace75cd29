using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The one writer of a store instance: write operations queue here and are committed in groups, every
/// operation that is waiting when a transaction starts joining it (one commit, one sync to disk, for
/// appends from many tasks at once). Each operation runs inside its own savepoint, so one refused
/// operation (an append to a terminal task) leaves the others of its group intact. Callers learn the
/// outcome only after the commit, and waiters of the tasks written are woken only then: nothing is read
/// or streamed before it is durable.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue;
    private readonly SqliteConnection _connection;
    private readonly SqliteWriteContext _context;
    private readonly SqliteDatabase _database;
    private readonly int _maxGroup;
    private readonly Task _loop;

    public SqliteWriter(SqliteConnection connection, SqliteDatabase database, int maxGroup, int maxQueued)
    {
        // Bounded: when the disk is slow or full, callers wait for room instead of queueing without limit.
        _queue = Channel.CreateBounded<WriteOp>(new BoundedChannelOptions(Math.Max(1, maxQueued))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _connection = connection;
        _database = database;
        _maxGroup = maxGroup;
        _context = new SqliteWriteContext(connection);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>
    /// Queues an operation; completes after the commit that made it durable (or with its error). The token cancels
    /// only the wait for room in the queue: once queued, an operation runs, because the outcome of a write that may
    /// already be committed must not be lost.
    /// </summary>
    public async Task<T> Run<T>(Func<SqliteWriteContext, T> operation, CancellationToken cancellationToken = default)
    {
        var op = new WriteOp<T>(operation);
        if (!_queue.Writer.TryWrite(op))
        {
            try
            {
                await _queue.Writer.WriteAsync(op, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException("The SQLite store has been disposed.", ex);
            }
        }

        return await op.Completion.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _context.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var group = new List<WriteOp>(_maxGroup);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < _maxGroup && reader.TryRead(out var op))
            {
                group.Add(op);
            }

            Commit(group);
        }
    }

    private void Commit(List<WriteOp> group)
    {
        _context.Touched.Clear();
        try
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _context.Transaction = transaction;
            foreach (var op in group)
            {
                transaction.Save("op");
                try
                {
                    op.Execute(_context);
                    transaction.Release("op");
                }
                catch (Exception ex) when (!SqliteFaults.IsTransient(ex))
                {
                    transaction.Rollback("op");
                    transaction.Release("op");
                    op.Failure = ex;
                }
            }

            transaction.Commit();
        }
        catch (Exception ex)
        {
            // The transaction did not commit: nothing of the group is durable, whatever each operation did, and every
            // operation may be retried when the cause may pass (a full disk, an I/O error).
            var failure = SqliteFaults.IsTransient(ex) ? SqliteFaults.Unavailable(ex, write: true) : ex;
            foreach (var op in group)
            {
                op.Failure = failure;
                op.Rejected = true;
            }
        }
        finally
        {
            _context.Transaction = null;
        }

        foreach (var op in group)
        {
            op.Complete();
        }

        foreach (var taskId in _context.Touched)
        {
            _database.Signal(taskId);
        }
    }

    private abstract class WriteOp
    {
        public Exception? Failure { get; set; }

        public bool Rejected { get; set; }

        public abstract void Execute(SqliteWriteContext context);

        public abstract void Complete();
    }

    private sealed class WriteOp<T>(Func<SqliteWriteContext, T> operation) : WriteOp
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Completion => _completion.Task;

        public override void Execute(SqliteWriteContext context) => _result = operation(context);

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
