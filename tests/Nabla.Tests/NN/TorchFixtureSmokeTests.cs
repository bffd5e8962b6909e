using Nabla.NN;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

public class TorchFixtureSmokeTests
{
    [Fact]
    public void LinearStateDictFromLibtorchGivesLibtorchsOutput()
    {
        var f = TorchFixture.Load("smoke_linear");
        var lin = new Linear(3, 2);
        lin.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = f["weight"], ["bias"] = f["bias"] });
        Approx.Equal(f["output"], lin.Call(f["input"]), 1e-6, "Linear output");
    }
}
