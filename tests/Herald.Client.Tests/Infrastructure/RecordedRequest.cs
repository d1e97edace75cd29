using System.Text;

namespace Herald.Client.Tests.Infrastructure;

/// <summary>A request as <see cref="RecordingHandler"/> saw it.</summary>
internal sealed record RecordedRequest(string Method, Uri Uri, Dictionary<string, string> Headers, string? Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public override string ToString() => new StringBuilder().Append(Method).Append(' ').Append(Uri).Append(' ').Append(Body).ToString();
}
