using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Herald.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
