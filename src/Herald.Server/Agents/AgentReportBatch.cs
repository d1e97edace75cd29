using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Agents;

/// <summary>
/// Reports collected to be written together: one durable write (one commit on a database store) for
/// all of them, in the order added. Create with <see cref="AgentContext.CreateBatch"/>, add reports,
/// then <see cref="SendAsync"/>. A report that ends or pauses the task must be the last one.
/// </summary>
public sealed class AgentReportBatch
{
    private readonly AgentContext _context;
    private readonly List<TaskEvent> _drafts = [];
    private readonly HashSet<string> _startedHere = new(StringComparer.Ordinal);

    internal AgentReportBatch(AgentContext context) => _context = context;

    /// <summary>Number of reports in the batch.</summary>
    public int Count => _drafts.Count;

    /// <summary>Adds a status report.</summary>
    public AgentReportBatch UpdateStatus(TaskState state, Message? message = null)
    {
        _drafts.Add(_context.StatusDraft(state, message));
        return this;
    }

    /// <summary>Adds an artifact report (new, replacing, or with <paramref name="append"/> a chunk of an existing one).</summary>
    public AgentReportBatch AddArtifact(Artifact artifact, bool append = false, bool lastChunk = false)
    {
        _drafts.Add(_context.ArtifactDraft(artifact, append, lastChunk));
        return this;
    }

    /// <summary>Adds a text chunk: the first for an id creates the artifact, later ones append to it.</summary>
    public AgentReportBatch AppendText(string artifactId, string text, bool lastChunk = false, string? name = null)
    {
        var append = _context.HasStartedArtifact(artifactId) || _startedHere.Contains(artifactId);
        _startedHere.Add(artifactId);
        var artifact = new Artifact { ArtifactId = artifactId, Name = append ? null : name, Parts = [Part.FromText(text)] };
        return AddArtifact(artifact, append, lastChunk);
    }

    /// <summary>Hands the reports over as one write; the batch is empty afterwards and can be reused.</summary>
    public async ValueTask SendAsync(CancellationToken cancellationToken = default)
    {
        if (_drafts.Count == 0)
        {
            return;
        }

        var drafts = _drafts.ToArray();
        _drafts.Clear();
        _startedHere.Clear();
        await _context.SendBatchAsync(drafts, cancellationToken).ConfigureAwait(false);
    }
}
