using System.Globalization;
using Nabla.IO;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.IO;

/// <summary>Result types print their contents, not their collection types.</summary>
public class ResultPrintingTests
{
    [Fact]
    public void LoadStateDictResultListsTheKeys()
    {
        Assert.Equal("LoadStateDictResult: all keys matched", new LoadStateDictResult([], []).ToString());
        Assert.Equal("LoadStateDictResult { MissingKeys = [fc.bias], UnexpectedKeys = [extra, other] }",
            new LoadStateDictResult(["fc.bias"], ["extra", "other"]).ToString());
        var net = new Linear(2, 3, seed: 1);
        var state = net.StateDict();
        var partial = new Dictionary<string, Tensor> { ["weight"] = state["weight"], ["junk"] = Tensor.Zeros(1) };
        Assert.Equal("LoadStateDictResult { MissingKeys = [bias], UnexpectedKeys = [junk] }", net.LoadStateDict(partial, strict: false).ToString());
    }

    [Fact]
    public void SafeTensorsHeaderAndParamGroupPrintTheirEntries()
    {
        var info = new SafeTensorInfo("w", DType.Float32, [3, 4], 0, 48);
        Assert.Equal("w: float32 [3, 4], bytes [0, 48)", info.ToString());
        var header = new SafeTensorsHeader([info], new Dictionary<string, string> { ["format"] = "pt" }, 120);
        Assert.Equal("SafeTensorsHeader: 1 tensor(s), header 120 bytes\n  w: float32 [3, 4], bytes [0, 48)\n  metadata: format = pt", header.ToString());
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");   // numbers stay invariant
            Assert.Equal("{ lr = 0.001, momentum = 0.9 } params [0, 1]",
                new ParamGroupState(new Dictionary<string, double> { ["lr"] = 0.001, ["momentum"] = 0.9 }, [0, 1]).ToString());
        }
        finally { CultureInfo.CurrentCulture = saved; }
    }
}
