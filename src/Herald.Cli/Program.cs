using Herald.Cli;

return await HeraldCli.RunAsync(args).ConfigureAwait(false);
