using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>Opaque ListTasks cursors: base64url of "ticks|taskId".</summary>
internal static class PageToken
{
    public static string Encode(TaskCursor? cursor) =>
        cursor is null
            ? ""
            : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
                cursor.StatusTimestamp.UtcTicks.ToString(CultureInfo.InvariantCulture) + "|" + cursor.TaskId));

    public static TaskCursor? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            var separator = text.IndexOf('|', StringComparison.Ordinal);
            if (separator > 0 && long.TryParse(text.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                return new TaskCursor(new DateTimeOffset(ticks, TimeSpan.Zero), text[(separator + 1)..]);
            }
        }
        catch (FormatException)
        {
        }

        throw A2AException.InvalidParams("pageToken", "pageToken is not a token returned by ListTasks.");
    }
}
