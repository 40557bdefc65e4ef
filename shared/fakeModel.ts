/**
 * The model id of the fake upstream (`server/testing/fakeModel.ts`), which a recording of it
 * carries as `upstream/fake-model`: the page then says the recording's timing is made up.
 */
export const fakeModelId = 'fake-model';
