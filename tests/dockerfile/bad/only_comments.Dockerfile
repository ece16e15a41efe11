# expect: :1: file with no instructions
# just comments

   
