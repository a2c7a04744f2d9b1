"""Running a Pulumi program offline under Pulumi's mock runtime (the preview runner, a child
process) and the capture record it produces.
"""
