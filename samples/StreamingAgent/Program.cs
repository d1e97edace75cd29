using Herald.Protocol;
using Herald.Server.Agents;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddHerald(options => options.Card = new AgentCard
{
    Name = "Word streamer",
    Description = "Streams the words of your message back, one chunk per word.",
    Skills = [new AgentSkill { Id = "words", Name = "Words", Description = "Splits text into words.", Tags = ["demo"] }],
})
.AddAgent<WordStreamer>();

var app = builder.Build();
app.MapHerald("/");
app.Run();

/// <summary>Streams each word of the user's message as a chunk of one artifact, then completes.</summary>
internal sealed class WordStreamer : IAgent
{
    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        await context.StartWorkAsync("splitting words", cancellationToken);
        var words = context.UserText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words.Length; i++)
        {
            await context.AppendTextAsync("words", words[i] + " ", lastChunk: i == words.Length - 1, cancellationToken: cancellationToken);
        }

        await context.CompleteAsync(cancellationToken: cancellationToken);
    }
}
