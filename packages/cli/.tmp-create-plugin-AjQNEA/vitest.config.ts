export default { test: { projects: ["./ssbench-model-check","./ssbench-objective-check","./ssbench-backend-check"] } };
