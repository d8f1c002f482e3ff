import Testing

@testable import Lineage

@Suite("Personal identity codes")
struct PersonalIdentityCodeTests {
    @Test(
        "valid Finnish codes",
        arguments: ["131052-308T", "010101A123N", "311299-999E", "010594Y9032", "010594Y9021", "020300E957K"])
    func finnishValid(code: String) {
        #expect(PersonalIdentityCode.isValidFinnish(code), "\(code)")
    }

    @Test(
        "invalid Finnish codes",
        arguments: ["131052-308U", "131352-308T", "310252-308T", "131052Z308T", "131052-001T", "13105-308T"])
    func finnishInvalid(code: String) {
        #expect(!PersonalIdentityCode.isValidFinnish(code), "\(code)")
    }

    @Test(
        "valid Swedish numbers",
        arguments: [
            "811228-9874", "8112289874", "198112289874", "19811228-9874", "670919-9530", "701063-2391", "121212+1212",
        ])
    func swedishValid(code: String) {
        #expect(PersonalIdentityCode.isValidSwedish(code), "\(code)")
    }

    @Test(
        "invalid Swedish numbers", arguments: ["811228-9875", "811328-9874", "811228*9874", "81122898", "811232-9874"])
    func swedishInvalid(code: String) {
        #expect(!PersonalIdentityCode.isValidSwedish(code), "\(code)")
    }

    @Test(
        "subjects that look like identity codes",
        arguments: [
            "131052-308T", "131052-308X", "person-131052A308T", "811228-9874", "198112289874", "id 8112289874",
            "010101a123n",
        ])
    func lookalikes(subject: String) {
        #expect(PersonalIdentityCode.containsLookalike(subject), "\(subject)")
    }

    @Test(
        "opaque ids that do not",
        arguments: ["person-0001", "p-1", "c0ffee-42", "12345", "8112289875", "customer-991231-X", "1234567890123"])
    func opaque(subject: String) {
        #expect(!PersonalIdentityCode.containsLookalike(subject), "\(subject)")
    }
}
