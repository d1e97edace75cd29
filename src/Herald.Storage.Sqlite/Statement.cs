using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>A reusable command with positional parameters: prepared once by SQLite, bound per call.</summary>
internal sealed class Statement : IDisposable
{
    private readonly SqliteCommand _command;

    public Statement(SqliteConnection connection, string sql)
    {
        _command = connection.CreateCommand();
        _command.CommandText = sql;
        var count = 0;
        for (var i = 0; i < sql.Length; i++)
        {
            if (sql[i] == '$')
            {
                count++;
            }
        }

        // Parameters are named $1, $2, ... in the SQL; each appears once.
        for (var i = 1; i <= count; i++)
        {
            _command.Parameters.Add(new SqliteParameter("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
        }
    }

    public SqliteTransaction? Transaction
    {
        set => _command.Transaction = value;
    }

    public SqliteCommand Bind(params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            _command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return _command;
    }

    public int Execute(params object?[] values) => Bind(values).ExecuteNonQuery();

    public object? Scalar(params object?[] values)
    {
        var result = Bind(values).ExecuteScalar();
        return result is DBNull ? null : result;
    }

    public SqliteDataReader Query(params object?[] values) => Bind(values).ExecuteReader();

    public void Dispose() => _command.Dispose();
}
