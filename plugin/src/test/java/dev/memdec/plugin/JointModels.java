package dev.memdec.plugin;

/**
 * The tiny test host with the tiny memory attached, and each model opened alone beside them, so tests can
 * compare joint output with what either model gives by itself. Opened once per test class.
 */
record JointModels(HostModel joint, MemoryModel memory, HostModel hostAlone, HostModel memoryAlone)
        implements AutoCloseable {

    static JointModels open() throws Exception {
        HostModel joint = HostModel.open(TestModels.host(), TestModels.options());
        MemoryModel memory = MemoryModel.open(TestModels.memory(), TestModels.options());
        joint.attach(memory);
        return new JointModels(joint, memory, HostModel.open(TestModels.host(), TestModels.options()),
                HostModel.open(TestModels.memory(), TestModels.options()));
    }

    @Override
    public void close() {
        joint.close();
        memory.close();
        hostAlone.close();
        memoryAlone.close();
    }
}
